# The one entry point for every workflow. See README.md.
.PHONY: run test build migrate clean-data

# Starts the service. With no DATABASE_URL it runs a private PostgreSQL in .redress/.
run:
	Deploy/ensure-postgres.sh
	swift run redress serve

# Builds and runs every test against a throw-away PostgreSQL started for the run.
test:
	Deploy/check-openapi.sh
	Deploy/ensure-chromium.sh
	swift build --build-tests
	Deploy/with-test-postgres.sh swift test --skip-build

build:
	swift build

migrate:
	swift run redress migrate

# Deletes the private PostgreSQL's data folder (every complaint in it).
clean-data:
	rm -rf .redress
