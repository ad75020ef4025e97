package scaleout

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/session"

	"example.com/saas/internal/apptest"
	"example.com/saas/internal/testenv"
)

// startPgBouncer runs Debian's pgbouncer in transaction pooling mode with
// two server connections, in front of the server of directURL, and returns
// the address it listens on.
func startPgBouncer(t *testing.T, directURL string) string {
	t.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		bin = "/usr/sbin/pgbouncer"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("pgbouncer is not installed; the tests need it (see the README's prerequisites: apt-get install postgresql pgbouncer chromium git make): %v", err)
	}
	u, err := url.Parse(directURL)
	if err != nil {
		t.Fatal(err)
	}
	port := apptest.FreePort(t)
	// Not t.TempDir: its parent is private to root, and pgbouncer runs as an
	// unprivileged user that writes its pid and log here.
	dir, err := os.MkdirTemp("", "pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	cfg := fmt.Sprintf(`[databases]
* = host=%s port=%s user=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
auth_type = any
pool_mode = transaction
default_pool_size = 2
max_client_conn = 200
; The app's pool sends its timeouts (DB_STATEMENT_TIMEOUT, DB_IDLE_IN_TX_TIMEOUT),
; which PgBouncer 1.18 cannot pass on: docs/scaling.md sets them on the role
; instead. The migrator names the tenant role.
ignore_startup_parameters = extra_float_digits,app.tenant_role,statement_timeout,idle_in_transaction_session_timeout
unix_socket_dir =
logfile = %s
pidfile = %s
`, u.Hostname(), u.Port(), u.User.Username(), port, filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
	ini := filepath.Join(dir, "pgbouncer.ini")
	if err := os.WriteFile(ini, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, ini)
	if os.Geteuid() == 0 { // pgbouncer refuses to run as root
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs a postgres user for pgbouncer: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Fatalf("pgbouncer did not listen on %s:\n%s", addr, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestThroughPgBouncerTransactionPooling runs the app through PgBouncer with
// two server connections shared by many concurrent tenant requests: each
// transaction's SET LOCAL settings stay with it, so no tenant sees another's
// rows. PgBouncer before 1.21 cannot keep named prepared statements in this
// mode, hence default_query_exec_mode=exec.
func TestThroughPgBouncerTransactionPooling(t *testing.T) {
	t.Parallel()
	var bouncer string
	s := apptest.Start(t, apptest.Options{DatabaseURL: func(direct string) string {
		bouncer = startPgBouncer(t, direct)
		u, _ := url.Parse(direct)
		u.Host = bouncer
		q := u.Query()
		q.Set("default_query_exec_mode", "exec")
		u.RawQuery = q.Encode()
		return u.String()
	}})
	s.WaitForWebhooks(t)
	_, acme := s.Session(t, apptest.Alice, apptest.Acme)
	_, globex := s.Session(t, apptest.Carol, apptest.Globex)
	for _, c := range []struct{ token, name string }{{acme, "acme-secret-plan"}, {globex, "globex-secret-plan"}} {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/projects", strings.NewReader(`{"name":"`+c.name+`"}`))
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create project through PgBouncer = %d", resp.StatusCode)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			token, mine, theirs := acme, "acme-secret-plan", "globex-secret-plan"
			if i%2 == 1 {
				token, mine, theirs = globex, theirs, mine
			}
			code, body := get(t, s.URL, "/api/v1/projects", token)
			var page struct {
				Data []struct{ Name string } `json:"data"`
			}
			json.Unmarshal([]byte(body), &page)
			switch {
			case code != 200:
				errs <- fmt.Sprintf("status %d: %s", code, body)
			case strings.Contains(body, theirs):
				errs <- "saw the other tenant's project: " + body
			case len(page.Data) != 1 || page.Data[0].Name != mine:
				errs <- "wrong projects: " + body
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}

	// LISTEN does not survive transaction pooling: the revocation listener
	// notices (its probe never arrives) and the app asks the database on
	// every request instead, so a revocation still takes effect at once.
	sid, token := s.Session(t, apptest.Alice, apptest.Acme)
	if code, _ := get(t, s.URL, "/api/v1/me", token); code != 200 {
		t.Fatalf("/api/v1/me through PgBouncer = %d", code)
	}
	if _, err := session.NewClient(s.ClientConfig()).Revoke(t.Context(), &session.RevokeParams{ID: sid}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "revoked session refused through PgBouncer", func() bool {
		code, _ := get(t, s.URL, "/api/v1/me", token)
		return code == http.StatusUnauthorized
	})
	testenv.Eventually(t, "the revocation listener noticing LISTEN cannot work through PgBouncer", func() bool {
		return strings.Contains(s.Logs.String(), "notifications do not arrive")
	})
}
