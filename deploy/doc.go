// Package deploy holds no library code: it is the test suite that proves the
// files under deploy/ (NATS cluster and account configs, certificates,
// container and Kubernetes manifests) work. It is its own Go module so that
// the heavy validators it uses (Kubernetes API types, BuildKit's Dockerfile
// linter) never enter the worker's dependency graph.
package deploy
