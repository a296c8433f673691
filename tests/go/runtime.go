package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

const (
	gib          = int64(1) << 30
	labelKey     = "go-client"
	labelValue   = "1"
	deleteWithin = 20 * time.Second
)

// kind holds what differs between the three runtimes' names.
type kind struct {
	name     string // machine; also the object field in Create requests/responses
	service  string
	singular string // Machine
	plural   string // Machines
}

var kinds = []kind{
	{name: "machine", service: "machine.v1alpha1.MachineRuntime", singular: "Machine", plural: "Machines"},
	{name: "volume", service: "volume.v1alpha1.VolumeRuntime", singular: "Volume", plural: "Volumes"},
	{name: "bucket", service: "bucket.v1alpha1.BucketRuntime", singular: "Bucket", plural: "Buckets"},
}

// runtime is one dialled IRI service.
type runtime struct {
	kind
	svc     service
	conn    *grpc.ClientConn
	timeout time.Duration
}

func dial(k kind, target string, files *protoregistry.Files, timeout time.Duration) (*runtime, error) {
	svc, err := findService(files, k.service)
	if err != nil {
		return nil, err
	}
	// Exactly how the poollets connect: default options plus insecure transport credentials.
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	return &runtime{kind: k, svc: svc, conn: conn, timeout: timeout}, nil
}

func (r *runtime) call(method string, req *dynamicpb.Message) (protoreflect.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	if req == nil {
		req = r.svc.request(method)
	}
	resp := r.svc.response(method)
	if err := r.conn.Invoke(ctx, r.svc.path(method), req, resp); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	return resp.ProtoReflect(), nil
}

func (r *runtime) version() error {
	req := r.svc.request("Version")
	set(req, "version", "0.1.0")
	resp, err := r.call("Version", req)
	if err != nil {
		return err
	}
	name := getString(resp, "runtime_name")
	if name == "" {
		return errors.New("empty runtime_name")
	}
	if strings.Contains(name, "://") {
		return fmt.Errorf("runtime_name %q contains ://", name)
	}
	return nil
}

// classes returns the class names the runtime offers: Status for machine and volume, ListBucketClasses for
// bucket.
func (r *runtime) classes() ([]string, error) {
	var names []string
	switch r.name {
	case "bucket":
		resp, err := r.call("ListBucketClasses", nil)
		if err != nil {
			return nil, err
		}
		list := getList(resp, "bucket_classes")
		for i := range list.Len() {
			names = append(names, getString(list.Get(i).Message(), "name"))
		}
	default:
		resp, err := r.call("Status", nil)
		if err != nil {
			return nil, err
		}
		list := getList(resp, r.name+"_class_status")
		for i := range list.Len() {
			class := getMessage(list.Get(i).Message(), r.name+"_class")
			names = append(names, getString(class, "name"))
		}
	}
	if len(names) == 0 {
		return nil, errors.New("no class reported")
	}
	for _, n := range names {
		if n == "" {
			return nil, fmt.Errorf("a class has an empty name: %q", names)
		}
	}
	return names, nil
}

// newObject builds the minimal valid object of this kind, labelled go-client=1.
func (r *runtime) newObject(class string) *dynamicpb.Message {
	req := r.svc.request("Create" + r.singular)
	obj := dynamicpb.NewMessage(fieldOf(req, r.name).Message())
	putMap(sub(obj, "metadata"), "labels", map[string]string{labelKey: labelValue})
	spec := sub(obj, "spec")
	set(spec, "class", class)
	switch r.name {
	case "machine":
		nic := newMessage(spec, "network_interfaces")
		set(nic, "name", "eth0")
		set(nic, "network_id", "net-1")
		add(nic, "ips", "10.0.0.2", "10.0.0.1")
		putMap(nic, "attributes", map[string]string{"k": "v"})
		add(spec, "network_interfaces", nic.Interface())

		vol := newMessage(spec, "volumes")
		set(vol, "name", "root")
		set(vol, "device", "oda")
		conn := sub(vol, "connection")
		set(conn, "driver", "ceph")
		set(conn, "handle", "rbd/x")
		putMap(conn, "attributes", map[string]string{"image": "rbd/x"})
		putMap(conn, "secret_data", map[string][]byte{"userID": []byte("u")})
		set(conn, "effective_storage_bytes", gib)
		add(spec, "volumes", vol.Interface())
	case "volume":
		set(sub(spec, "resources"), "storage_bytes", gib)
	}
	return obj
}

func (r *runtime) create(obj *dynamicpb.Message) (protoreflect.Message, error) {
	req := r.svc.request("Create" + r.singular)
	set(req, r.name, obj)
	resp, err := r.call("Create"+r.singular, req)
	if err != nil {
		return nil, err
	}
	created := getMessage(resp, r.name)
	meta := getMessage(created, "metadata")
	if getString(meta, "id") == "" {
		return nil, errors.New("the created object has no metadata.id")
	}
	if labels := getStringMap(meta, "labels"); labels[labelKey] != labelValue {
		return nil, fmt.Errorf("labels not echoed: %v", labels)
	}
	return created, nil
}

func (r *runtime) listByID(id string) ([]protoreflect.Message, error) {
	method := "List" + r.plural
	req := r.svc.request(method)
	set(sub(req, "filter"), "id", id)
	resp, err := r.call(method, req)
	if err != nil {
		return nil, err
	}
	list := getList(resp, r.name+"s")
	out := make([]protoreflect.Message, 0, list.Len())
	for i := range list.Len() {
		out = append(out, list.Get(i).Message())
	}
	return out, nil
}

func ids(objs []protoreflect.Message) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, getString(getMessage(o, "metadata"), "id"))
	}
	return out
}

func (r *runtime) delete(id string) error {
	req := r.svc.request("Delete" + r.singular)
	set(req, r.name+"_id", id)
	_, err := r.call("Delete"+r.singular, req)
	return err
}

// deleteUntilGone deletes like a poollet: the first Delete must be OK, then Delete is repeated (OK means "still
// deleting") until it answers NotFound or List by id no longer shows the object.
func (r *runtime) deleteUntilGone(id string) error {
	if err := r.delete(id); err != nil {
		return err
	}
	deadline := time.Now().Add(deleteWithin)
	for {
		switch err := r.delete(id); status.Code(err) {
		case codes.NotFound:
			return nil
		case codes.OK:
		default:
			return fmt.Errorf("repeated delete: %w", err)
		}
		found, err := r.listByID(id)
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still listed %s after the first Delete", id, deleteWithin)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func randomID(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// exercise runs every check against one runtime. Later checks are skipped when what they need failed.
func exercise(k kind, target string, files *protoregistry.Files, timeout time.Duration, rep *report) {
	var r *runtime
	if !rep.check(k.name+" dial "+target, func() (err error) {
		r, err = dial(k, target, files, timeout)
		return err
	}) {
		return
	}
	defer r.conn.Close()

	rep.check(k.name+" Version", r.version)

	classMethod := "Status"
	if k.name == "bucket" {
		classMethod = "ListBucketClasses"
	}
	var classes []string
	if !rep.check(fmt.Sprintf("%s %s reports a class", k.name, classMethod), func() (err error) {
		classes, err = r.classes()
		return err
	}) {
		return
	}

	sent := r.newObject(classes[0])
	var created protoreflect.Message
	if !rep.check(fmt.Sprintf("%s Create%s (class %s) returns an id and echoes labels", k.name, k.singular, classes[0]),
		func() (err error) {
			created, err = r.create(sent)
			return err
		}) {
		return
	}
	id := getString(getMessage(created, "metadata"), "id")

	var listed protoreflect.Message
	rep.check(fmt.Sprintf("%s List%s by filter.id", k.name, k.plural), func() error {
		found, err := r.listByID(id)
		if err != nil {
			return err
		}
		if got := ids(found); len(got) != 1 || got[0] != id {
			return fmt.Errorf("got ids %q, want [%q]", got, id)
		}
		listed = found[0]
		return nil
	})
	if k.name == "machine" && listed != nil {
		for _, field := range []string{"network_interfaces", "volumes"} {
			rep.check(fmt.Sprintf("machine ListMachines spec.%s proto.Equal to what was sent", field), func() error {
				got := getList(getMessage(listed, "spec"), field)
				want := getList(getMessage(sent, "spec"), field)
				return listEqual(got, want)
			})
		}
	}

	rep.check(fmt.Sprintf("%s List%s by unknown id is empty", k.name, k.plural), func() error {
		unknown := randomID("go-client-unknown-")
		found, err := r.listByID(unknown)
		if err != nil {
			return err
		}
		if len(found) != 0 {
			return fmt.Errorf("filter.id %s returned %q", unknown, ids(found))
		}
		return nil
	})

	rep.check(fmt.Sprintf("%s Delete%s of unknown id is NotFound", k.name, k.singular), func() error {
		unknown := randomID("go-client-unknown-")
		err := r.delete(unknown)
		if code := status.Code(err); code != codes.NotFound {
			return fmt.Errorf("got %v (%v), want NotFound", code, err)
		}
		return nil
	})

	rep.check(fmt.Sprintf("%s Delete%s until gone", k.name, k.singular), func() error {
		return r.deleteUntilGone(id)
	})
}
