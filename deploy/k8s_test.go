package deploy

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	yamlv3 "gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/orcd/orcd/consumer"
)

// k8sDecoder decodes the core kinds strictly: an unknown or duplicated
// field, a wrong type or a malformed quantity is an error, as the API
// server's strict field validation would report it.
var k8sDecoder = func() runtime.Decoder {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{appsv1.AddToScheme, corev1.AddToScheme, policyv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}()

// k8sObjects decodes every document of a manifest file.
func k8sObjects(t testing.TB, file string) []runtime.Object {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var objs []runtime.Object
	r := utilyaml.NewYAMLReader(bufioReader(b))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, _, err := k8sDecoder.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		objs = append(objs, obj)
	}
	return objs
}

// workerManifest is a worker Deployment with its PodDisruptionBudget.
type workerManifest struct {
	file string
	dep  *appsv1.Deployment
	pdb  *policyv1.PodDisruptionBudget
}

func loadWorkerManifest(t testing.TB, file string) workerManifest {
	t.Helper()
	m := workerManifest{file: file}
	for _, o := range k8sObjects(t, file) {
		switch o := o.(type) {
		case *appsv1.Deployment:
			m.dep = o
		case *policyv1.PodDisruptionBudget:
			m.pdb = o
		default:
			t.Fatalf("%s: unexpected %T", file, o)
		}
	}
	if m.dep == nil || m.pdb == nil {
		t.Fatalf("%s: want a Deployment and a PodDisruptionBudget", file)
	}
	return m
}

// container is the worker container and its environment (literal values;
// secret and field references as "secret:NAME/KEY" and "field:PATH").
func (m workerManifest) container() (*corev1.Container, map[string]string) {
	c := &m.dep.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		case e.ValueFrom.FieldRef != nil:
			env[e.Name] = "field:" + e.ValueFrom.FieldRef.FieldPath
		}
	}
	return c, env
}

// TestK8sWorkerManifests validates the CPU and GPU worker manifests.
func TestK8sWorkerManifests(t *testing.T) {
	entry, cmd, user := imageCommand(t, "docker/Dockerfile.cpu")
	uid, _ := strconv.ParseInt(strings.Split(user, ":")[0], 10, 64)
	for _, file := range []string{"k8s/worker-cpu.yaml", "k8s/worker-gpu.yaml"} {
		m := loadWorkerManifest(t, file)
		spec := m.dep.Spec.Template.Spec
		if len(spec.Containers) != 1 {
			t.Fatalf("%s: want one container", file)
		}
		c, env := m.container()
		sel := m.dep.Spec.Selector.MatchLabels
		for k, v := range sel {
			if m.dep.Spec.Template.Labels[k] != v {
				t.Errorf("%s: selector %s=%s does not match the pod labels", file, k, v)
			}
		}
		if !maps(m.pdb.Spec.Selector.MatchLabels, sel) {
			t.Errorf("%s: PodDisruptionBudget selects %v, the Deployment %v", file, m.pdb.Spec.Selector.MatchLabels, sel)
		}
		if m.pdb.Spec.MaxUnavailable == nil || m.pdb.Spec.MaxUnavailable.IntValue() != 1 {
			t.Errorf("%s: PodDisruptionBudget maxUnavailable %v, want 1", file, m.pdb.Spec.MaxUnavailable)
		}
		if ru := m.dep.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
			t.Errorf("%s: rolling updates must keep every worker until its replacement is ready (maxUnavailable 0)", file)
		}
		if len(c.Command) != 0 || !slices.Equal(c.Args, cmd) {
			t.Errorf("%s: command %q args %q, want the image's entrypoint with %q", file, c.Command, c.Args, cmd)
		}
		p := c.ReadinessProbe
		if p == nil || p.Exec == nil || !slices.Equal(p.Exec.Command, append(slices.Clone(entry), "health")) {
			t.Errorf("%s: readiness probe %+v, want exec %s health", file, p, entry[0])
		}
		grace, err := time.ParseDuration(env["ORCD_GRACE"])
		if err != nil {
			t.Fatalf("%s: ORCD_GRACE: %v", file, err)
		}
		if tg := spec.TerminationGracePeriodSeconds; tg == nil || *tg != int64(grace.Seconds())+15 {
			t.Errorf("%s: terminationGracePeriodSeconds %v, want ORCD_GRACE %v + 15s", file, tg, grace)
		}
		if env["ORCD_WORKER_ID"] != "field:metadata.name" {
			t.Errorf("%s: ORCD_WORKER_ID %q, want the pod name (the health probe reads that worker's heartbeat)", file, env["ORCD_WORKER_ID"])
		}
		if env["ORCD_NATS_USER"] != "worker" || env["ORCD_NATS_PASSWORD"] != "secret:orcd-nats-passwords/worker" {
			t.Errorf("%s: connects as %q with %q, want the worker role", file, env["ORCD_NATS_USER"], env["ORCD_NATS_PASSWORD"])
		}
		checkPodMount(t, file, spec, c, env["ORCD_TLS_CA"], "secret:orcd-nats-tls")
		checkPodMount(t, file, spec, c, env["ORCD_MODEL"], "pvc:orcd-models")
		if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != uid {
			t.Errorf("%s: pod must run as non-root user %d (the image's USER)", file, uid)
		}
		req := c.Resources.Requests
		if req.Cpu().IsZero() || req.Memory().IsZero() {
			t.Errorf("%s: no cpu/memory requests", file)
		}
		gpuReq, gpuLim := req["nvidia.com/gpu"], c.Resources.Limits["nvidia.com/gpu"]
		if strings.Contains(file, "gpu") {
			if gpuLim.Value() != 1 || gpuReq.Value() != 1 {
				t.Errorf("%s: nvidia.com/gpu request %v limit %v, want 1 and 1", file, gpuReq.String(), gpuLim.String())
			}
			if !slices.ContainsFunc(spec.Tolerations, func(tl corev1.Toleration) bool { return tl.Key == "nvidia.com/gpu" }) {
				t.Errorf("%s: no toleration for the nvidia.com/gpu taint", file)
			}
			if env["ORCD_ENGINE"] != "cuda" || c.Image != "orcd-worker:cuda" {
				t.Errorf("%s: engine %q image %q, want cuda on orcd-worker:cuda", file, env["ORCD_ENGINE"], c.Image)
			}
		} else if !gpuLim.IsZero() || c.Image != "orcd-worker:cpu" {
			t.Errorf("%s: CPU workers must not ask for a GPU and run orcd-worker:cpu", file)
		}
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// checkPodMount: path lies under a read-only mount of the named volume
// source ("secret:NAME" or "pvc:NAME"); for a secret, the file is one of
// its projected keys.
func checkPodMount(t *testing.T, file string, spec corev1.PodSpec, c *corev1.Container, path, source string) {
	t.Helper()
	for _, vm := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(path, vm.MountPath+"/")
		if !ok {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name != vm.Name {
				continue
			}
			switch {
			case v.Secret != nil && source == "secret:"+v.Secret.SecretName:
				if !slices.ContainsFunc(v.Secret.Items, func(k corev1.KeyToPath) bool { return k.Path == rel }) {
					t.Errorf("%s: %s is not a key of secret %s", file, path, v.Secret.SecretName)
				}
			case v.PersistentVolumeClaim != nil && source == "pvc:"+v.PersistentVolumeClaim.ClaimName:
			default:
				t.Errorf("%s: %s is on volume %s, want %s", file, path, v.Name, source)
			}
			if !vm.ReadOnly {
				t.Errorf("%s: %s is mounted writable", file, vm.MountPath)
			}
			return
		}
	}
	t.Errorf("%s: %q is not under any mount (want %s)", file, path, source)
}

// TestK8sModelsPVC decodes the models claim strictly.
func TestK8sModelsPVC(t *testing.T) {
	objs := k8sObjects(t, "k8s/models-pvc.yaml")
	pvc, ok := objs[0].(*corev1.PersistentVolumeClaim)
	if len(objs) != 1 || !ok || pvc.Name != "orcd-models" {
		t.Fatalf("models-pvc.yaml: want one PersistentVolumeClaim orcd-models, got %v", objs)
	}
}

// yamlFile parses a YAML file into generic maps.
func yamlFile(t testing.TB, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	dec := yamlv3.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m
}

// at walks nested maps: at(m, "config", "cluster", "replicas").
func at(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

// TestK8sScaledObject checks the KEDA trigger against the things it
// names: the NATS account, the jobs stream and the durable consumer the
// CPU workers share, the monitoring endpoint of the Helm release, and one
// worker's slots as the per-replica target.
func TestK8sScaledObject(t *testing.T) {
	so := yamlFile(t, "k8s/keda-scaledobject.yaml")
	if so["apiVersion"] != "keda.sh/v1alpha1" || so["kind"] != "ScaledObject" {
		t.Fatalf("keda-scaledobject.yaml: %v %v", so["apiVersion"], so["kind"])
	}
	m := loadWorkerManifest(t, "k8s/worker-cpu.yaml")
	_, env := m.container()
	if at(so, "spec", "scaleTargetRef", "name") != m.dep.Name {
		t.Errorf("scaleTargetRef %v, want %s", at(so, "spec", "scaleTargetRef", "name"), m.dep.Name)
	}
	min, _ := at(so, "spec", "minReplicaCount").(int)
	max, _ := at(so, "spec", "maxReplicaCount").(int)
	if min < 1 || max < min {
		t.Errorf("replicas %d..%d: want at least 1 (a worker must exist for the consumer to exist)", min, max)
	}
	triggers, _ := at(so, "spec", "triggers").([]any)
	if len(triggers) != 1 {
		t.Fatalf("want one trigger, got %v", triggers)
	}
	trig := triggers[0].(map[string]any)
	meta, _ := trig["metadata"].(map[string]any)
	if trig["type"] != "nats-jetstream" {
		t.Errorf("trigger type %v, want nats-jetstream", trig["type"])
	}
	kedaKeys := []string{"natsServerMonitoringEndpoint", "account", "stream", "consumer", "lagThreshold", "activationLagThreshold", "useHttps"}
	for k, v := range meta {
		if !slices.Contains(kedaKeys, k) {
			t.Errorf("metadata %s is not a nats-jetstream scaler parameter", k)
		}
		if _, ok := v.(string); !ok {
			t.Errorf("metadata %s: %v is not a string (KEDA metadata values are strings)", k, v)
		}
	}
	s := consumer.NewSubjects("")
	want := map[string]string{
		"account":  natsAccount,
		"stream":   s.JobsStream(),
		"consumer": s.Durable(modelFileName(env["ORCD_MODEL"])),
		// One worker's slots per replica.
		"lagThreshold": env["ORCD_SLOTS"],
	}
	for k, v := range want {
		if meta[k] != v {
			t.Errorf("metadata %s = %v, want %s", k, meta[k], v)
		}
	}
	values := yamlFile(t, "k8s/nats-values.yaml")
	wantEndpoint := fmt.Sprintf("%s:%v", natsServiceHost, at(values, "config", "monitor", "port"))
	if meta["natsServerMonitoringEndpoint"] != wantEndpoint {
		t.Errorf("endpoint %v, want the Helm release's monitor %s", meta["natsServerMonitoringEndpoint"], wantEndpoint)
	}
	u, err := url.Parse(env["ORCD_NATS_URL"])
	if err != nil || u.Hostname() != natsServiceHost || u.Scheme != "tls" {
		t.Errorf("worker ORCD_NATS_URL %q, want tls://%s:4222", env["ORCD_NATS_URL"], natsServiceHost)
	}
}

// natsServiceHost is the client Service of Helm release "nats" in
// namespace "nats"; natsAccount the account of accounts.conf.
const (
	natsServiceHost = "nats.nats.svc.cluster.local"
	natsAccount     = "ORCD"
)

// modelFileName is how a worker names its model: the file name without
// .gguf (README, `worker serve --model-name`).
func modelFileName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".gguf")
}

// TestK8sNATSValues checks the Helm values: a 3-replica JetStream cluster,
// TLS on clients and (mutual) routes from the secret the workers mount,
// the monitoring port, accounts.conf included verbatim and its passwords
// from the secret the workers read.
func TestK8sNATSValues(t *testing.T) {
	v := yamlFile(t, "k8s/nats-values.yaml")
	checks := map[string]any{
		"config.cluster.enabled":          true,
		"config.cluster.replicas":         3,
		"config.cluster.tls.enabled":      true,
		"config.cluster.tls.secretName":   "orcd-nats-tls",
		"config.cluster.tls.merge.verify": true,
		"config.jetstream.enabled":        true,
		"config.nats.tls.enabled":         true,
		"config.nats.tls.secretName":      "orcd-nats-tls",
		"config.monitor.enabled":          true,
		"config.merge.00$include":         "orcd-accounts.conf",
		"tlsCA.enabled":                   true,
		"tlsCA.secretName":                "orcd-nats-tls",
		"tlsCA.key":                       "ca.crt",
	}
	for path, want := range checks {
		if got := at(v, strings.Split(path, ".")...); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	acc, err := os.ReadFile("nats/accounts.conf")
	if err != nil {
		t.Fatal(err)
	}
	if got := at(v, "configMap", "merge", "data", "orcd-accounts.conf"); got != string(acc) {
		t.Error("configMap orcd-accounts.conf differs from deploy/nats/accounts.conf")
	}
	for _, role := range []string{"worker", "client", "admin"} {
		name := "ORCD_" + strings.ToUpper(role) + "_PASSWORD"
		ref := at(v, "container", "env", name, "valueFrom", "secretKeyRef")
		if r, _ := ref.(map[string]any); r["name"] != "orcd-nats-passwords" || r["key"] != role {
			t.Errorf("container.env.%s = %v, want secret orcd-nats-passwords key %s", name, ref, role)
		}
	}
}

// TestCertsCoverDeployNames: the server certificate gen-certs.sh makes is
// valid for every name a worker dials here, in compose and in Kubernetes.
func TestCertsCoverDeployNames(t *testing.T) {
	dir := makeCerts(t)
	cert := readCert(t, filepath.Join(dir, "server-cert.pem"))
	roots := x509.NewCertPool()
	roots.AddCert(readCert(t, filepath.Join(dir, "ca.pem")))
	names := []string{"127.0.0.1", "localhost", "nats-1", "nats-2", "nats-3", natsServiceHost,
		"nats-0.nats-headless.nats.svc.cluster.local"}
	for _, n := range names {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: n, Roots: roots,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("server certificate for %s: %v", n, err)
		}
	}
}

func readCert(t testing.TB, file string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", file)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// stripComments drops comment lines, to tell an empty document from one
// that only has comments.
func stripComments(doc []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}
