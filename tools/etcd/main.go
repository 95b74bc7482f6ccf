// Command etcd is the upstream etcd server, built from the Go module proxy as the
// storage of the tests' real kube-apiserver (packages/testkit/src/kube-api-server.ts).
// It is etcd's own main: server/etcdmain.Main.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
