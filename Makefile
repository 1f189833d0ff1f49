# The one entry point for every workflow. See README.md.
.PHONY: run test operations bench bench-peer fuzz faults deliveries soak build migrate clean-data

# Starts the service. With no DATABASE_URL it runs a private PostgreSQL in .redress/.
run:
	Deploy/ensure-postgres.sh
	Deploy/ensure-zlib.sh
	swift run redress serve

# Builds and runs every test against a throw-away PostgreSQL started for the run.
test:
	Deploy/check-openapi.sh
	Deploy/ensure-chromium.sh
	Deploy/ensure-axe.sh
	Deploy/ensure-zlib.sh
	swift build --build-tests
	Deploy/with-test-postgres.sh swift test --skip-build
	REDRESS_MEASURE_MEMORY=1 Deploy/with-test-postgres.sh swift test --skip-build --filter memoryStaysBounded
	FUZZ_SKIP_BUILD=1 FUZZ_EXAMPLES=5 Reliability/fuzz.sh
	DELIVERIES_SKIP_BUILD=1 Reliability/deliveries.sh
	Operations/check.sh

# Deploy files, backup and restore, a read replica, two replicas behind nginx (Docs/operations.md).
operations:
	Deploy/ensure-zlib.sh
	swift build --product redress
	Operations/check.sh

# Measures the service against PostgreSQL at a million complaints (Benchmarks/bench.sh, Docs/benchmarks.md).
bench:
	bash -o pipefail -c 'Benchmarks/bench.sh | tee .bench.md'; status=$$?; \
	if [ $$status = 0 ]; then Benchmarks/section.py Docs/benchmarks.md service < .bench.md; fi; rm -f .bench.md; exit $$status

# Redress beside Request Tracker 5 on one PostgreSQL: filing, reading, listing (Benchmarks/bench-peer.sh, Docs/benchmarks.md).
bench-peer:
	Benchmarks/bench-peer.sh

# schemathesis against the running service, once per role, 100 examples per operation (Docs/reliability.md).
fuzz:
	FUZZ_RECORD=1 Reliability/fuzz.sh

# SIGKILL under filings, PostgreSQL stopped under load, SIGTERM with slow uploads (Docs/reliability.md).
faults:
	FAULTS_RECORD=1 Reliability/faults.sh

# 200 case journeys through SIGKILLs and a webhook receiver down for a minute; every event and mail checked (Docs/reliability.md).
deliveries:
	Reliability/deliveries.sh

# A mixed load for SOAK_MINUTES (default 30) with the deadline job running (Docs/reliability.md).
soak:
	SOAK_RECORD=1 Reliability/soak.sh

build:
	Deploy/ensure-zlib.sh
	swift build

migrate:
	swift run redress migrate

# Deletes the private PostgreSQL's data folder (every complaint in it).
clean-data:
	rm -rf .redress
