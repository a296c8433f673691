// Command iri-go-client is a grpc-go peer for the IRI providers: it dials each runtime socket exactly as the
// IronCore poollets do and calls it with dynamicpb messages built from the shared IRI descriptor set.
//
//	iri-go-client [--descriptors PATH] --machine unix:///a.sock --volume unix:///b.sock --bucket unix:///c.sock
//
// It prints `PASS name` or `FAIL name: reason` per check and `N passed, M failed` last; the exit code is 1 when
// any check failed.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/protobuf/reflect/protoregistry"
)

// In CI the shared folder sits beside the repository; this default is relative to tests/go.
const defaultDescriptors = "../../../shared/iri/iri-v1alpha1.binpb"

type report struct {
	out            io.Writer
	passed, failed int
}

// check runs one check and prints its result; a panic counts as a failure.
func (r *report) check(name string, fn func() error) (ok bool) {
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return fn()
	}()
	if err != nil {
		r.failed++
		fmt.Fprintf(r.out, "FAIL %s: %v\n", name, err)
		return false
	}
	r.passed++
	fmt.Fprintf(r.out, "PASS %s\n", name)
	return true
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("iri-go-client", flag.ContinueOnError)
	flags.SetOutput(stderr)
	descriptors := flags.String("descriptors", defaultDescriptors, "IRI FileDescriptorSet (.binpb)")
	timeout := flags.Duration("timeout", 10*time.Second, "deadline per call")
	targets := map[string]*string{}
	for _, k := range kinds {
		targets[k.name] = flags.String(k.name, "", fmt.Sprintf("%s target, e.g. unix:///run/%s.sock", k.service, k.name))
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %q\n", flags.Args())
		return 2
	}
	given := 0
	for _, t := range targets {
		if *t != "" {
			given++
		}
	}
	if given == 0 {
		fmt.Fprintln(stderr, "give at least one of --machine, --volume, --bucket")
		return 2
	}

	rep := &report{out: stdout}
	var files *protoregistry.Files
	if rep.check("load descriptors "+*descriptors, func() (err error) {
		files, err = loadFiles(*descriptors)
		return err
	}) {
		for _, k := range kinds {
			if target := *targets[k.name]; target != "" {
				exercise(k, target, files, *timeout, rep)
			}
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", rep.passed, rep.failed)
	if rep.failed > 0 {
		return 1
	}
	return 0
}
