#!/usr/bin/python3
"""Compatibility checks of the official Python client (python3-kubernetes, Debian) against
kcx apiserver. Run by python_test.cc as: /usr/bin/python3 python_client.py KUBECONFIG SCENARIO

Each scenario asserts what a real cluster does and exits non-zero (with a traceback) on the
first difference; it prints "PASS <scenario>" at the end.
"""

import json
import sys
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

NS = "default"


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def api_error(fn, *args, **kwargs):
    """Calls fn expecting an ApiException; returns (status, Status body as dict)."""
    try:
        fn(*args, **kwargs)
    except ApiException as e:
        return e.status, json.loads(e.body)
    raise AssertionError("expected an ApiException from %s" % fn.__name__)


def cm(name, labels=None, data=None):
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=name, labels=labels), data=data)


def names(lst):
    return [i.metadata.name for i in lst.items]


def scenario_crud(v1):
    created = []
    for i in range(5):
        labels = {"app": "py", "idx": str(i), "parity": "even" if i % 2 == 0 else "odd"}
        obj = v1.create_namespaced_config_map(NS, cm("py-%d" % i, labels, {"i": str(i)}))
        check(obj.metadata.name == "py-%d" % i, "create returns the object")
        check(len(obj.metadata.uid) == 36, "uid is set")
        check(obj.metadata.creation_timestamp is not None, "creationTimestamp is set")
        created.append(int(obj.metadata.resource_version))
    check(created == sorted(created) and len(set(created)) == 5,
          "resourceVersions increase: %s" % created)
    v1.create_namespaced_config_map(NS, cm("other", {"app": "other"}, {"x": "y"}))

    got = v1.read_namespaced_config_map("py-3", NS)
    check(got.data == {"i": "3"}, "read data: %s" % got.data)
    check(got.metadata.labels["parity"] == "odd", "read labels")

    # Label selectors, equality- and set-based.
    check(names(v1.list_namespaced_config_map(NS, label_selector="app=py,parity=even"))
          == ["py-0", "py-2", "py-4"], "label selector app=py,parity=even")
    check(names(v1.list_namespaced_config_map(NS, label_selector="idx in (1,3)"))
          == ["py-1", "py-3"], "set-based selector")
    check(names(v1.list_namespaced_config_map(NS, label_selector="app,!idx")) == ["other"],
          "exists / does-not-exist selector")
    check(names(v1.list_namespaced_config_map(NS, label_selector="app!=py")) == ["other"],
          "inequality selector")
    check(names(v1.list_namespaced_config_map(NS, field_selector="metadata.name=py-2"))
          == ["py-2"], "field selector")
    everything = v1.list_config_map_for_all_namespaces(label_selector="app=py")
    check(len(everything.items) == 5, "list across namespaces")

    # Pagination: limit and _continue, all pages at one resourceVersion.
    pages, cont, first = [], None, None
    while True:
        page = v1.list_namespaced_config_map(NS, label_selector="app=py", limit=2,
                                             _continue=cont)
        pages.append(names(page))
        if first is None:
            first = page
        cont = page.metadata._continue
        if not cont:
            break
    check(pages == [["py-0", "py-1"], ["py-2", "py-3"], ["py-4"]], "pages: %s" % pages)
    unfiltered = v1.list_namespaced_config_map(NS, limit=4)
    check(len(unfiltered.items) == 4 and unfiltered.metadata._continue,
          "limited list has a continue token")
    check(unfiltered.metadata.remaining_item_count == 2,
          "remainingItemCount: %s" % unfiltered.metadata.remaining_item_count)
    # Objects created after the first page do not show up in later pages.
    v1.create_namespaced_config_map(NS, cm("py-9", {"app": "py"}, {"i": "9"}))
    rest = v1.list_namespaced_config_map(NS, limit=100, _continue=unfiltered.metadata._continue)
    check(names(rest) == ["py-3", "py-4"], "continued list is consistent: %s" % names(rest))
    check(rest.metadata.resource_version == unfiltered.metadata.resource_version,
          "continued pages share the first page's resourceVersion")

    # Patches: this client version (22.6) sends a dict as a strategic merge patch and a list
    # as a JSON patch; it has no way to choose a merge patch.
    p = v1.patch_namespaced_config_map("py-1", NS, {"data": {"i": "one", "extra": "e"}})
    check(p.data == {"i": "one", "extra": "e"}, "strategic merge patch: %s" % p.data)
    p = v1.patch_namespaced_config_map(
        "py-1", NS, [{"op": "remove", "path": "/data/extra"},
                     {"op": "add", "path": "/metadata/labels/patched", "value": "yes"}])
    check(p.data == {"i": "one"} and p.metadata.labels["patched"] == "yes",
          "json patch: %s %s" % (p.data, p.metadata.labels))
    p = v1.patch_namespaced_config_map("py-1", NS, {"data": {"i": None}})
    check(not p.data, "a null in a patch removes the key: %s" % p.data)

    # Replace with the current resourceVersion works, with a stale one gets 409 Conflict.
    cur = v1.read_namespaced_config_map("py-2", NS)
    stale_rv = cur.metadata.resource_version
    cur.data = {"i": "two"}
    upd = v1.replace_namespaced_config_map("py-2", NS, cur)
    check(int(upd.metadata.resource_version) > int(stale_rv), "replace bumps resourceVersion")
    cur.metadata.resource_version = stale_rv
    code, status = api_error(v1.replace_namespaced_config_map, "py-2", NS, cur)
    check(code == 409 and status["reason"] == "Conflict", "stale replace: %s" % status)
    check("the object has been modified" in status["message"], status["message"])

    # Errors carry the HTTP status and the Status reason.
    code, status = api_error(v1.create_namespaced_config_map, NS, cm("py-0"))
    check(code == 409 and status["reason"] == "AlreadyExists", "duplicate: %s" % status)
    check(status["message"] == 'configmaps "py-0" already exists', status["message"])
    check(status["details"] == {"name": "py-0", "kind": "configmaps"}, status["details"])
    code, status = api_error(v1.read_namespaced_config_map, "nope", NS)
    check(code == 404 and status["reason"] == "NotFound", "missing: %s" % status)
    check(status["kind"] == "Status" and status["status"] == "Failure", status)
    code, status = api_error(v1.create_namespaced_config_map, NS, cm("Bad_Name"))
    check(code == 422 and status["reason"] == "Invalid", "invalid: %s" % status)
    check(status["details"]["causes"][0]["field"] == "metadata.name", status["details"])

    # Delete returns a Status (or the object); the object is gone afterwards.
    v1.delete_namespaced_config_map("py-4", NS)
    code, status = api_error(v1.read_namespaced_config_map, "py-4", NS)
    check(code == 404, "deleted object is gone")
    code, status = api_error(v1.delete_namespaced_config_map, "py-4", NS)
    check(code == 404 and status["reason"] == "NotFound", "second delete: %s" % status)
    v1.delete_collection_namespaced_config_map(NS, label_selector="parity=even")
    check(names(v1.list_namespaced_config_map(NS, label_selector="app=py"))
          == ["py-1", "py-3", "py-9"], "deletecollection by selector")

    # Typed models for another group, with a status subresource.
    apps = client.AppsV1Api()
    dep = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels={"app": "web"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "web"}),
                spec=client.V1PodSpec(containers=[
                    client.V1Container(name="c", image="nginx:1.27")]))))
    d = apps.create_namespaced_deployment(NS, dep)
    check(d.metadata.generation == 1, "deployment generation")
    check(d.spec.strategy.type == "RollingUpdate", "deployment defaults")
    d = apps.patch_namespaced_deployment_status(
        "web", NS, {"status": {"replicas": 1, "readyReplicas": 1}})
    check(d.status.ready_replicas == 1 and d.metadata.generation == 1, "status subresource")

    # Namespaces: create, use, delete (contents go with it).
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="pyns")))
    v1.create_namespaced_config_map("pyns", cm("inside"))
    ns = v1.delete_namespace("pyns")
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            v1.read_namespace("pyns")
        except ApiException as e:
            check(e.status == 404, "namespace read after delete")
            break
        time.sleep(0.1)
    else:
        raise AssertionError("namespace pyns not removed")
    code, _ = api_error(v1.read_namespaced_config_map, "inside", "pyns")
    check(code == 404, "namespace contents deleted")

    version = client.VersionApi().get_code()
    check(version.major == "1" and version.git_version.startswith("v1."),
          "version: %s" % version)


def scenario_watch(v1):
    start_rv = v1.list_namespaced_config_map(NS).metadata.resource_version
    v1.create_namespaced_config_map(NS, cm("a", {"w": "yes"}, {"n": "1"}))
    v1.patch_namespaced_config_map("a", NS, {"data": {"n": "2"}})
    v1.create_namespaced_config_map(NS, cm("b", {"w": "yes"}))
    v1.delete_namespaced_config_map("a", NS)

    # Resume from a past resourceVersion: the history is replayed in order.
    w = watch.Watch()
    events = []
    for ev in w.stream(v1.list_namespaced_config_map, NS, resource_version=start_rv,
                       timeout_seconds=10):
        events.append((ev["type"], ev["object"].metadata.name,
                       ev["object"].metadata.resource_version))
        if len(events) == 4:
            w.stop()
    check([e[:2] for e in events] == [("ADDED", "a"), ("MODIFIED", "a"), ("ADDED", "b"),
                                      ("DELETED", "a")], "replayed events: %s" % events)
    rvs = [int(e[2]) for e in events]
    check(rvs == sorted(rvs) and rvs[0] > int(start_rv), "event resourceVersions: %s" % rvs)

    # Resume from the middle of the history: only the later events arrive.
    w = watch.Watch()
    later = []
    for ev in w.stream(v1.list_namespaced_config_map, NS, resource_version=events[1][2],
                       timeout_seconds=10):
        later.append((ev["type"], ev["object"].metadata.name))
        if len(later) == 2:
            w.stop()
    check(later == [("ADDED", "b"), ("DELETED", "a")], "resumed events: %s" % later)

    # Watch from the newest resourceVersion and receive events that happen afterwards,
    # through a label selector (an object that stops matching arrives as DELETED).
    last_rv = events[-1][2]
    received = []
    ready = threading.Event()

    def watcher():
        w2 = watch.Watch()
        ready.set()
        for ev in w2.stream(v1.list_namespaced_config_map, NS, resource_version=last_rv,
                            label_selector="w=yes", timeout_seconds=10):
            received.append((ev["type"], ev["object"].metadata.name))
            if len(received) == 3:
                w2.stop()

    t = threading.Thread(target=watcher)
    t.start()
    ready.wait()
    time.sleep(0.3)
    v1.create_namespaced_config_map(NS, cm("c", {"w": "yes"}))
    v1.create_namespaced_config_map(NS, cm("unlabelled"))
    v1.patch_namespaced_config_map("c", NS, {"data": {"x": "1"}})
    v1.patch_namespaced_config_map("b", NS, {"metadata": {"labels": {"w": "no"}}})
    t.join(15)
    check(not t.is_alive(), "watcher finished")
    check(received == [("ADDED", "c"), ("MODIFIED", "c"), ("DELETED", "b")],
          "later events: %s" % received)

    # timeout_seconds ends a quiet watch on time, without an error.
    began = time.time()
    quiet = list(watch.Watch().stream(v1.list_namespaced_config_map, NS,
                                      label_selector="nothing=here", timeout_seconds=1))
    took = time.time() - began
    check(quiet == [] and 0.8 <= took < 5, "quiet watch ended after %.2fs: %s" % (took, quiet))

    # A watch on one object by name (field selector), as client code for "wait" does.
    one = []
    for ev in watch.Watch().stream(v1.list_namespaced_config_map, NS,
                                   field_selector="metadata.name=c", timeout_seconds=1):
        one.append((ev["type"], ev["object"].metadata.name))
    check(one == [("ADDED", "c")], "watch without resourceVersion starts with ADDED: %s" % one)


def main():
    kubeconfig, scenario = sys.argv[1], sys.argv[2]
    config.load_kube_config(config_file=kubeconfig)
    v1 = client.CoreV1Api()
    {"crud": scenario_crud, "watch": scenario_watch}[scenario](v1)
    print("PASS %s" % scenario)


if __name__ == "__main__":
    main()
