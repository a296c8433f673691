// etcd for the IronCore end-to-end suite: the released server, built from the Go module proxy by
// scripts/ironcore.sh (etcd's own main module cannot be installed with `go install`: it has replace lines).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
