"""The deploy files (Deploy/) parse and name what the package really builds and serves.

No container engine or cluster runs where this is developed, so the files are checked, not run:
every YAML document parses; the Dockerfile builds the package's executable product and copies the
resource bundles of exactly the targets that have resources (as this build names them); every
command a file runs is a subcommand of the built binary; the probes' paths are the API's; selectors,
ports and names agree between the Kubernetes objects; compose's nginx mounts the configuration the
replicas test runs; the settings named exist in Docs/configuration.md.
"""
import configparser
import glob
import os
import re
import subprocess
import sys

import yaml

from service import REDRESS, check

problems = []


def expect(condition, message):
    if not condition:
        problems.append(message)


def load(path):
    with open(path) as file:
        return [document for document in yaml.safe_load_all(file) if document is not None]


package = open("Package.swift").read()
products = re.findall(r'\.executable\(name: "([^"]+)", targets: \["([^"]+)"\]\)', package)
expect(len(products) == 1, f"Package.swift declares one executable product ({products})")
product = products[0][0]
# Targets with resources: `.target(name: "X", ... resources: [...]` before the next target.
# (Resources embedded in the code, `.embedInCode`, make no bundle.)
resource_targets = sorted(re.findall(
    r'name: "([A-Za-z]+)",(?:(?!\.(?:target|testTarget|executableTarget)\().)*?resources: \[\.(?:copy|process)\(', package, re.S))
bundles = sorted(f"{product}_{target}.resources" for target in resource_targets)
built = sorted(os.path.basename(path) for path in glob.glob(os.path.join(os.path.dirname(REDRESS), "*.resources")))
expect(bundles == built, f"the bundles the build makes ({built}) are the ones the resource targets name ({bundles})")

help_text = subprocess.run([REDRESS, "--help"], capture_output=True, text=True).stdout
subcommands = set(re.findall(r"^\s{2}([a-z][a-z-]+)\s", help_text.split("SUBCOMMANDS:")[-1], re.M))
expect({"serve", "migrate", "audit"} <= subcommands, f"redress has serve, migrate and audit ({sorted(subcommands)})")


def runs(arguments, where):
    expect(arguments and arguments[0] in subcommands, f"{where} runs `{' '.join(arguments or [])}`: not a redress subcommand")
    if arguments and arguments[0] == "audit":
        audit_help = subprocess.run([REDRESS, "audit", "--help"], capture_output=True, text=True).stdout
        expect(len(arguments) > 1 and re.search(rf"^\s+{arguments[1]}\s", audit_help, re.M), f"{where}: no `audit {arguments[1:]}`")


# The Dockerfile.
docker = open("Deploy/Dockerfile").read()
expect(f"--product {product} " in docker and "-c release" in docker and "--static-swift-stdlib" in docker,
       "the Dockerfile makes a release build of the product with the static standard library")
copied = sorted(re.findall(r"\.build/release/(\S+\.resources)", docker))
expect(copied == bundles, f"the Dockerfile copies the bundles {bundles}, not {copied}")
expect(f"cp .build/release/{product} /staging/" in docker and "COPY --from=build /staging/ /app/" in docker,
       "the binary goes to /app")
expect(re.search(r'^ENTRYPOINT \["/app/' + product + r'"\]$', docker, re.M), "the entry point is /app/" + product)
cmd = re.search(r"^CMD \[(.*)\]$", docker, re.M)
runs([part.strip().strip('"') for part in cmd.group(1).split(",")] if cmd else [], "the image's CMD")
user = re.findall(r"^USER (\S+)$", docker, re.M)
expect(user and user[-1] not in ("0", "root"), "the image runs as a non-root user")
for source in re.findall(r"^COPY (?!--from)(\S+) ", docker, re.M):
    expect(os.path.exists(source), f"the Dockerfile copies {source}, which does not exist")
served = open("Sources/RedressAPI/openapi.yaml").read()

# Compose.
compose = load("Deploy/compose.yaml")[0]
services = compose["services"]
expect({"postgres", "migrate", "redress-1", "redress-2", "nginx"} <= set(services), f"compose services: {sorted(services)}")
expect(services["migrate"]["command"] == ["migrate"], "compose's migrate step runs `redress migrate`")
for name in ("redress-1", "redress-2"):
    runs(services[name].get("command", [cmd.group(1).strip('"')] if cmd else []), f"compose's {name}")
    expect(services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", f"{name} waits for the migration")
    expect(services[name]["build"]["dockerfile"] == "Deploy/Dockerfile", f"{name} builds Deploy/Dockerfile")
nginx_conf = open("Deploy/nginx/redress.conf").read()
mount = [volume for volume in services["nginx"]["volumes"] if "nginx" in volume][0].split(":")[0]
expect(os.path.normpath(os.path.join("Deploy", mount)) == "Deploy/nginx/redress.conf", f"compose's nginx mounts {mount}")
for name in ("redress-1", "redress-2"):
    expect(f"server {name}:8080 " in nginx_conf, f"nginx's upstream names {name}:8080")
nginx_address = services["nginx"]["networks"]["redress"]["ipv4_address"]
expect(services["redress-1"]["environment"]["REDRESS_TRUSTED_PROXIES"] == nginx_address, "the replicas trust nginx's address")

# Kubernetes.
objects = {}
kustomization = load("Deploy/kubernetes/kustomization.yaml")[0]
for resource in kustomization["resources"]:
    for document in load(f"Deploy/kubernetes/{resource}"):
        expect({"apiVersion", "kind", "metadata"} <= set(document), f"{resource}: apiVersion, kind and metadata")
        objects[(document["kind"], document["metadata"]["name"])] = document
listed = {os.path.basename(path) for path in glob.glob("Deploy/kubernetes/*.yaml")} - {"kustomization.yaml"}
expect(listed == set(kustomization["resources"]), f"kustomization lists every manifest ({sorted(listed)})")
deployment = objects[("Deployment", "redress")]
pod = deployment["spec"]["template"]
container = pod["spec"]["containers"][0]
runs(container["args"], "the Deployment")
labels = pod["metadata"]["labels"]
expect(deployment["spec"]["selector"]["matchLabels"].items() <= labels.items(), "the Deployment's selector matches its pods")
ports = {port["name"]: port["containerPort"] for port in container["ports"]}
config = objects[("ConfigMap", "redress")]["data"]
expect(ports.get("http") == int(config["REDRESS_PORT"]), "the container's http port is REDRESS_PORT")
expect(ports.get("metrics") == int(config["REDRESS_METRICS_PORT"]), "the container's metrics port is REDRESS_METRICS_PORT")
for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/health")):
    given = container[probe]["httpGet"]
    expect(given["path"] == path and f"\n  {path}:" in served and given["port"] in ports, f"{probe} asks {path} on a declared port")
expect(pod["spec"]["securityContext"]["runAsNonRoot"] is True, "pods run as non-root")
service = objects[("Service", "redress")]
expect(service["spec"]["selector"].items() <= labels.items(), "the Service selects the pods")
expect(all(port["targetPort"] in ports for port in service["spec"]["ports"]), "the Service targets declared ports")
expect(all(port["targetPort"] != "metrics" for port in service["spec"]["ports"]), "the Service does not expose /metrics")
hpa = objects[("HorizontalPodAutoscaler", "redress")]
expect(hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "redress"}, "the HPA scales the Deployment")
expect(objects[("PodDisruptionBudget", "redress")]["spec"]["selector"]["matchLabels"].items() <= labels.items(), "the PDB selects the pods")
job = objects[("Job", "redress-migrate")]["spec"]["template"]["spec"]["containers"][0]
expect(job["args"] == ["migrate"], "the migrate Job runs `redress migrate`")
for spec in (container, job):
    secret = [entry for entry in spec["env"] if entry["name"] == "DATABASE_URL"][0]["valueFrom"]["secretKeyRef"]
    expect(secret == {"name": "redress-database", "key": "url"}, "DATABASE_URL comes from the Secret redress-database")

# Every setting a deploy file names is a documented one.
documented = set(re.findall(r"`((?:REDRESS_[A-Z_]+)|DATABASE_URL)`", open("Docs/configuration.md").read()))
named = set(config) | set(services["redress-1"]["environment"]) | set(re.findall(r"\b(REDRESS_[A-Z_]+)=", docker))
expect(named <= documented, f"settings not in Docs/configuration.md: {sorted(named - documented)}")

# systemd.
unit = configparser.ConfigParser(strict=False, interpolation=None)
unit.optionxform = str
unit.read("Deploy/systemd/redress.service")
exec_start = unit["Service"]["ExecStart"].split()
expect(exec_start[0] == f"/opt/redress/{product}", "the unit starts /opt/redress/" + product)
runs(exec_start[1:], "the systemd unit")
expect(unit["Service"]["User"] not in ("root", "0"), "the unit runs as a non-root user")

for problem in problems:
    print(f"FAILED: {problem}")
check(not problems, f"Deploy/: {len(objects)} Kubernetes objects, compose, Dockerfile, nginx and systemd files parse and agree with the package")
sys.exit(1 if problems else 0)
