package api_test

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

const ownerPassword = "correct horse battery"

// signedIn completes first-start setup through /auth/setup and returns a
// client carrying the session cookie and this server's Origin.
func signedIn(t *testing.T, ts *testServer) (*client, *response) {
	t.Helper()
	token := ts.owner()
	if token == "" {
		t.Fatal("StartSetup issued no token")
	}
	c := ts.anonymous()
	c.origin = ts.origin()
	res := c.call("POST", "/auth/setup", map[string]any{"token": token, "name": "Olive Owner",
		"email": "olive@example.com", "password": ownerPassword})
	res.ok(http.StatusOK, nil)
	for _, ck := range res.Cookies {
		if ck.Name == "portal_session" {
			c.cookie = &http.Cookie{Name: ck.Name, Value: ck.Value}
		}
	}
	if c.cookie == nil || c.cookie.Value == "" {
		t.Fatalf("setup set no session cookie: %v", res.Header["Set-Cookie"])
	}
	return c, res
}

func TestSetupSetsAStrictHttpOnlySessionCookie(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	_, res := signedIn(t, ts)

	var ck *http.Cookie
	for _, c := range res.Cookies {
		if c.Name == "portal_session" {
			ck = c
		}
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.MaxAge <= 0 {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/ and a lifetime", ck)
	}
	var view struct {
		User struct {
			Name, Email, Role string
		} `json:"user"`
		Scopes []string `json:"scopes"`
	}
	res.ok(http.StatusOK, &view)
	if view.User.Role != "owner" || view.User.Email != "olive@example.com" || len(view.Scopes) == 0 {
		t.Errorf("setup answered %+v", view)
	}
}

func TestSetupTokenWorksOnce(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	token := ts.owner()
	c := ts.anonymous()
	c.origin = ts.origin()
	body := map[string]any{"token": token, "name": "Olive", "email": "olive@example.com", "password": ownerPassword}

	c.call("POST", "/auth/setup", body).ok(http.StatusOK, nil)
	c.call("POST", "/auth/setup", body).fail(http.StatusConflict, "CONFLICT")
}

func TestSetupFromAForeignOriginIsRefused(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.anonymous()
	c.origin = "https://evil.example"
	c.call("POST", "/auth/setup", map[string]any{"token": ts.owner(), "name": "Mallory",
		"email": "m@evil.example", "password": "0123456789ab"}).fail(http.StatusForbidden, "FORBIDDEN")
}

func TestSessionCookieReadsTheAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c, _ := signedIn(t, ts)

	c.get("/tickets").ok(http.StatusOK, nil)
	c.get("/users").ok(http.StatusOK, nil)
	c.call("GET", "/auth/session", nil).ok(http.StatusOK, nil)
}

func TestSessionWriteFromAForeignOriginIsRefused(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c, _ := signedIn(t, ts)
	body := map[string]any{"name": "Ann"}

	foreign := *c
	foreign.origin = "http://evil.example"
	foreign.post("/customers", body).fail(http.StatusForbidden, "FORBIDDEN")

	noOrigin := *c
	noOrigin.origin = ""
	noOrigin.post("/customers", body).fail(http.StatusForbidden, "FORBIDDEN")

	c.post("/customers", body).ok(http.StatusCreated, nil)
	var list []customer
	c.get("/customers").ok(http.StatusOK, &list)
	if len(list) != 1 {
		t.Errorf("%d customers, want only the same-origin one", len(list))
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c, _ := signedIn(t, ts)

	res := c.call("POST", "/auth/signout", nil)
	res.ok(http.StatusOK, nil)
	cleared := false
	for _, ck := range res.Cookies {
		cleared = cleared || (ck.Name == "portal_session" && ck.MaxAge < 0 && ck.Value == "")
	}
	if !cleared {
		t.Errorf("sign-out did not clear the cookie: %v", res.Header["Set-Cookie"])
	}
	c.get("/tickets").fail(http.StatusUnauthorized, "UNAUTHORIZED")
	c.call("GET", "/auth/session", nil).fail(http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestSignInWithPassword(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	signedIn(t, ts)
	c := ts.anonymous()
	c.origin = ts.origin()

	c.call("POST", "/auth/signin", map[string]any{"email": "olive@example.com", "password": "wrong password"}).
		fail(http.StatusUnauthorized, "UNAUTHORIZED")
	res := c.call("POST", "/auth/signin", map[string]any{"email": "olive@example.com", "password": ownerPassword})
	res.ok(http.StatusOK, nil)
	if len(res.Cookies) != 1 || !res.Cookies[0].HttpOnly || res.Cookies[0].SameSite != http.SameSiteStrictMode {
		t.Errorf("sign-in cookie %+v", res.Cookies)
	}
}

func TestSessionInTestModeSeesTheTestStore(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c, _ := signedIn(t, ts)
	live := ts.client(internalKey)
	live.newCustomer("Live Larry")

	c.api("POST", "/customers", map[string]any{"name": "Test Tina"}, "Portal-Mode", "test").ok(http.StatusCreated, nil)
	var list []customer
	c.api("GET", "/customers", nil, "Portal-Mode", "test").ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].Name != "Test Tina" {
		t.Errorf("test mode sees %+v", list)
	}
}

// Five wrong passwords lock the email out for 15 minutes, the right password
// included; unknown emails lock the same way, so the lock reveals nothing.
func TestRepeatedWrongPasswordsLockTheEmailOut(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	signedIn(t, ts)
	c := ts.anonymous()
	c.origin = ts.origin()
	signIn := func(email, password string) *response {
		return c.call("POST", "/auth/signin", map[string]any{"email": email, "password": password})
	}
	for _, email := range []string{"olive@example.com", "nobody@example.com"} {
		for range 5 {
			signIn(email, "wrong password").fail(http.StatusUnauthorized, "UNAUTHORIZED")
		}
		res := signIn(email, ownerPassword)
		res.fail(http.StatusTooManyRequests, "RATE_LIMITED")
		if res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: locked out without Retry-After", email)
		}
	}
	ts.Clock.Advance(15*time.Minute + time.Second)
	signIn("olive@example.com", ownerPassword).ok(http.StatusOK, nil)
}

// Attempts sent together are counted before their passwords are checked, so
// no more than five reach the password check.
func TestConcurrentWrongPasswordsCannotOutrunTheLockOut(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	signedIn(t, ts)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ts.anonymous()
			c.origin = ts.origin()
			res := c.call("POST", "/auth/signin", map[string]any{"email": "OLIVE@example.com", "password": "wrong password"})
			mu.Lock()
			codes[res.Status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[http.StatusUnauthorized] > 5 || codes[http.StatusTooManyRequests] < 15 {
		t.Fatalf("statuses %v: at most 5 password checks, the rest locked out", codes)
	}
}
