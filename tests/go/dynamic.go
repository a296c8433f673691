package main

import (
	"fmt"
	"os"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// loadFiles reads a FileDescriptorSet (.binpb) and resolves it into a registry of file descriptors.
func loadFiles(path string) (*protoregistry.Files, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", path, err)
	}
	return files, nil
}

// service looks up a service and returns the full method name and fresh request/response messages.
type service struct {
	desc protoreflect.ServiceDescriptor
}

func findService(files *protoregistry.Files, name string) (service, error) {
	d, err := files.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return service{}, fmt.Errorf("service %s: %w", name, err)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return service{}, fmt.Errorf("%s is not a service", name)
	}
	return service{desc: sd}, nil
}

func (s service) method(name string) protoreflect.MethodDescriptor {
	md := s.desc.Methods().ByName(protoreflect.Name(name))
	if md == nil {
		panic(fmt.Sprintf("%s has no method %s", s.desc.FullName(), name))
	}
	return md
}

// path is the HTTP/2 path grpc-go uses for a method: /package.Service/Method.
func (s service) path(name string) string {
	return fmt.Sprintf("/%s/%s", s.desc.FullName(), s.method(name).Name())
}

func (s service) request(name string) *dynamicpb.Message {
	return dynamicpb.NewMessage(s.method(name).Input())
}

func (s service) response(name string) *dynamicpb.Message {
	return dynamicpb.NewMessage(s.method(name).Output())
}

// Small reflection helpers. Unknown field names are programming errors and panic; the check runner turns a
// panic into a FAIL line.

func fieldOf(m protoreflect.Message, name string) protoreflect.FieldDescriptor {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
	if fd == nil {
		panic(fmt.Sprintf("%s has no field %s", m.Descriptor().FullName(), name))
	}
	return fd
}

// set stores a scalar (string, int64, []byte, ...) or a message.
func set(m protoreflect.Message, name string, v any) {
	if pm, ok := v.(proto.Message); ok {
		m.Set(fieldOf(m, name), protoreflect.ValueOfMessage(pm.ProtoReflect()))
		return
	}
	m.Set(fieldOf(m, name), protoreflect.ValueOf(v))
}

// sub returns the (mutable) message stored in a singular message field, creating it when unset.
func sub(m protoreflect.Message, name string) protoreflect.Message {
	return m.Mutable(fieldOf(m, name)).Message()
}

// add appends scalars or messages to a repeated field.
func add(m protoreflect.Message, name string, vs ...any) {
	list := m.Mutable(fieldOf(m, name)).List()
	for _, v := range vs {
		if pm, ok := v.(proto.Message); ok {
			list.Append(protoreflect.ValueOfMessage(pm.ProtoReflect()))
			continue
		}
		list.Append(protoreflect.ValueOf(v))
	}
}

// putMap sets string-keyed entries of a map field; values are string or []byte as the field requires.
func putMap[V any](m protoreflect.Message, name string, entries map[string]V) {
	mp := m.Mutable(fieldOf(m, name)).Map()
	for k, v := range entries {
		mp.Set(protoreflect.ValueOfString(k).MapKey(), protoreflect.ValueOf(v))
	}
}

// newMessage creates an empty message of the type of a message field (or the element type of a repeated one).
func newMessage(m protoreflect.Message, name string) protoreflect.Message {
	return dynamicpb.NewMessage(fieldOf(m, name).Message())
}

func getString(m protoreflect.Message, name string) string {
	return m.Get(fieldOf(m, name)).String()
}

func getMessage(m protoreflect.Message, name string) protoreflect.Message {
	return m.Get(fieldOf(m, name)).Message()
}

func getList(m protoreflect.Message, name string) protoreflect.List {
	return m.Get(fieldOf(m, name)).List()
}

func getStringMap(m protoreflect.Message, name string) map[string]string {
	out := map[string]string{}
	m.Get(fieldOf(m, name)).Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		out[k.String()] = v.String()
		return true
	})
	return out
}

// listEqual compares two repeated message fields element by element with proto.Equal.
func listEqual(a, b protoreflect.List) error {
	if a.Len() != b.Len() {
		return fmt.Errorf("%d elements, sent %d", a.Len(), b.Len())
	}
	for i := range a.Len() {
		x, y := a.Get(i).Message().Interface(), b.Get(i).Message().Interface()
		if !proto.Equal(x, y) {
			return fmt.Errorf("element %d differs: got {%s}, sent {%s}", i, oneLine.Format(x), oneLine.Format(y))
		}
	}
	return nil
}

// oneLine keeps a message on the FAIL line it is reported in.
var oneLine = prototext.MarshalOptions{}
