module portal

go 1.26.8

require (
	github.com/gorilla/mux v1.8.1
	go.etcd.io/bbolt v1.5.0
	golang.org/x/crypto v0.58.0
)

require golang.org/x/sys v0.49.0 // indirect
