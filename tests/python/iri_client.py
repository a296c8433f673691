#!/usr/bin/python3
"""A non-TypeScript IRI client: grpc C-core (Debian's python3-grpcio) with message classes built at run time
from the shared IRI descriptor set, as a stock gRPC client of another language would talk to a provider.

    /usr/bin/python3 tests/python/iri_client.py [--descriptors PATH] \\
        --machine unix:///a.sock --volume unix:///b.sock --bucket unix:///c.sock

For each runtime given: Version, List (no filter), class discovery (Status or ListBucketClasses), Create of a
minimal object with a label, List by id and by label finding it, Delete. Prints `PASS name` / `FAIL name: why`
per step and `N passed, M failed` last; exits non-zero on any failure. Run it with /usr/bin/python3 (the
Debian packages python3-grpcio and python3-protobuf), not another python3 on PATH.
"""

import argparse
import re
import secrets
import sys
from pathlib import Path

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

# In CI the shared folder sits beside the repository: <repo>/../shared/iri/.
DEFAULT_DESCRIPTORS = Path(__file__).resolve().parents[2].parent / "shared" / "iri" / "iri-v1alpha1.binpb"
GIB = 1 << 30
TEST_LABEL = "iri-client.test/run"


def load_pool(path):
    file_set = descriptor_pb2.FileDescriptorSet()
    file_set.ParseFromString(Path(path).read_bytes())
    pool = descriptor_pool.DescriptorPool()
    pending = {f.name: f for f in file_set.file}
    added = set()
    # Add files after their dependencies, whatever order the set lists them in.
    while pending:
        ready = [f for f in pending.values() if all(d in added for d in f.dependency)]
        if not ready:
            raise ValueError(f"unresolvable imports in {path}: {sorted(pending)}")
        for file_proto in ready:
            pool.Add(file_proto)
            added.add(file_proto.name)
            del pending[file_proto.name]
    return pool


_classes = {}


def message_class(descriptor):
    # One class per message type, so that messages built in different places can be nested into each other.
    cls = _classes.get(descriptor.full_name)
    if cls is None:
        # protobuf >= 4.22 has GetMessageClass; Debian 12 ships 4.21, which has only the factory.
        get_class = getattr(message_factory, "GetMessageClass", None)
        if get_class is not None:
            cls = get_class(descriptor)
        else:
            cls = message_factory.MessageFactory(descriptor.file.pool).GetPrototype(descriptor)
        _classes[descriptor.full_name] = cls
    return cls


class Runtime:
    """Generic unary calls on one IRI service; request and response types come from the descriptor."""

    def __init__(self, pool, service_name, target, timeout):
        self.service = pool.FindServiceByName(service_name)
        self.channel = grpc.insecure_channel(target)
        self.timeout = timeout

    def request(self, method_name, **fields):
        method = self.service.FindMethodByName(method_name)
        return message_class(method.input_type)(**fields)

    def message(self, full_name, **fields):
        return message_class(self.service.file.pool.FindMessageTypeByName(full_name))(**fields)

    def call(self, method_name, request=None):
        method = self.service.FindMethodByName(method_name)
        response_class = message_class(method.output_type)
        stub = self.channel.unary_unary(
            f"/{self.service.full_name}/{method_name}",
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=response_class.FromString,
        )
        return stub(request if request is not None else self.request(method_name), timeout=self.timeout)

    def close(self):
        self.channel.close()


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def step(self, name, function):
        """Runs one step and prints PASS or FAIL; returns (ok, result)."""
        try:
            result = function()
        except grpc.RpcError as error:
            return self._fail(name, f"{error.code().name}: {error.details()}")
        except Exception as error:  # noqa: BLE001 - every failure becomes a FAIL line
            return self._fail(name, str(error) or type(error).__name__)
        self.passed += 1
        print(f"PASS {name}", flush=True)
        return True, result

    def _fail(self, name, why):
        self.failed += 1
        print(f"FAIL {name}: {why}", flush=True)
        return False, None


def expect(condition, why):
    if not condition:
        raise AssertionError(why)


# What differs between the three runtimes: names, how classes are found, what a minimal object is.
KINDS = {
    "machine": {
        "service": "machine.v1alpha1.MachineRuntime",
        "plural": "Machines",
        "singular": "Machine",
        "field": "machine",
        "list_field": "machines",
        "id_field": "machine_id",
    },
    "volume": {
        "service": "volume.v1alpha1.VolumeRuntime",
        "plural": "Volumes",
        "singular": "Volume",
        "field": "volume",
        "list_field": "volumes",
        "id_field": "volume_id",
    },
    "bucket": {
        "service": "bucket.v1alpha1.BucketRuntime",
        "plural": "Buckets",
        "singular": "Bucket",
        "field": "bucket",
        "list_field": "buckets",
        "id_field": "bucket_id",
    },
}


def discover_class(kind, runtime):
    if kind == "machine":
        statuses = runtime.call("Status").machine_class_status
        names = [s.machine_class.name for s in statuses]
    elif kind == "volume":
        statuses = runtime.call("Status").volume_class_status
        names = [s.volume_class.name for s in statuses]
    else:
        names = [c.name for c in runtime.call("ListBucketClasses").bucket_classes]
    names = [n for n in names if n]
    expect(names, "the runtime reports no class")
    return names[0]


def minimal_spec(kind, runtime, class_name):
    package = KINDS[kind]["service"].rsplit(".", 1)[0]
    singular = KINDS[kind]["singular"]
    spec = runtime.message(f"{package}.{singular}Spec", **{"class": class_name})
    if kind == "volume":
        spec.resources.CopyFrom(runtime.message(f"{package}.VolumeResources", storage_bytes=GIB))
    return spec


def exercise(kind, target, pool, timeout, report):
    names = KINDS[kind]
    package = names["service"].rsplit(".", 1)[0]
    runtime = Runtime(pool, names["service"], target, timeout)
    list_method = f"List{names['plural']}"
    label_value = secrets.token_hex(6)

    def listed(**filter_fields):
        request = runtime.request(list_method)
        if filter_fields:
            request.filter.CopyFrom(runtime.message(f"{package}.{names['singular']}Filter", **filter_fields))
        return list(getattr(runtime.call(list_method, request), names["list_field"]))

    def version():
        response = runtime.call("Version", runtime.request("Version", version="0.1.0"))
        expect(response.runtime_name, "empty runtime_name")
        expect("://" not in response.runtime_name, f"runtime_name {response.runtime_name!r} contains ://")
        expect(
            re.fullmatch(r"v?\d+\.\d+\.\d+([-+].*)?", response.runtime_version),
            f"runtime_version {response.runtime_version!r} is not semver",
        )

    def create(class_name):
        obj = runtime.message(f"{package}.{names['singular']}")
        obj.metadata.labels[TEST_LABEL] = label_value
        obj.spec.CopyFrom(minimal_spec(kind, runtime, class_name))
        request = runtime.request(f"Create{names['singular']}", **{names["field"]: obj})
        created = getattr(runtime.call(f"Create{names['singular']}", request), names["field"])
        expect(created.metadata.id, "the created object has no id")
        return created

    def echoes(created, class_name):
        expect("://" not in created.metadata.id, f"id {created.metadata.id!r} contains ://")
        labels = dict(created.metadata.labels)
        expect(labels.get(TEST_LABEL) == label_value, f"labels not echoed: {labels}")
        expect(getattr(created.spec, "class") == class_name, f"class {getattr(created.spec, 'class')!r} not echoed")

    def expect_ids(found, ids, what):
        got = [o.metadata.id for o in found]
        expect(got == ids, f"{what} returned {got}, expected {ids}")

    def delete(object_id):
        request = runtime.request(f"Delete{names['singular']}", **{names["id_field"]: object_id})
        runtime.call(f"Delete{names['singular']}", request)

    # Version and the unfiltered List depend on nothing; the rest needs a class, then the created object.
    report.step(f"{kind} Version", version)
    report.step(f"{kind} {list_method} (no filter)", listed)
    ok, class_name = report.step(f"{kind} classes", lambda: discover_class(kind, runtime))
    if ok:
        ok, created = report.step(f"{kind} Create{names['singular']} ({class_name})", lambda: create(class_name))
    if ok:
        object_id = created.metadata.id
        unknown_id = f"{object_id}-unknown"
        report.step(f"{kind} Create{names['singular']} echoes labels and class", lambda: echoes(created, class_name))
        report.step(f"{kind} {list_method} by id", lambda: expect_ids(listed(id=object_id), [object_id], "filter.id"))
        report.step(
            f"{kind} {list_method} by unknown id is empty",
            lambda: expect_ids(listed(id=unknown_id), [], "unknown filter.id"),
        )
        report.step(
            f"{kind} {list_method} by label",
            lambda: expect_ids(listed(label_selector={TEST_LABEL: label_value}), [object_id], "label_selector"),
        )
        report.step(f"{kind} Delete{names['singular']}", lambda: delete(object_id))
    runtime.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--descriptors", default=str(DEFAULT_DESCRIPTORS), help="IRI FileDescriptorSet (.binpb)")
    parser.add_argument("--machine", help="MachineRuntime target, e.g. unix:///var/run/iri-machineprovider.sock")
    parser.add_argument("--volume", help="VolumeRuntime target")
    parser.add_argument("--bucket", help="BucketRuntime target")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per call")
    args = parser.parse_args(argv)
    targets = {kind: getattr(args, kind) for kind in KINDS if getattr(args, kind)}
    if not targets:
        parser.error("give at least one of --machine, --volume, --bucket")

    report = Report()
    ok, pool = report.step("load descriptors", lambda: load_pool(args.descriptors))
    if ok:
        for kind, target in targets.items():
            exercise(kind, target, pool, args.timeout, report)
    print(f"{report.passed} passed, {report.failed} failed", flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
