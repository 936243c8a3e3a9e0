package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"sigmalab/app"
	"sigmalab/engine/admin"
	"sigmalab/httpapi"
)

// authOptions turns the serve flags and the environment into the API's auth
// settings: --auth=required, ADMIN_TOKEN, RATELIMIT_ENABLED and
// RATELIMIT_PER_MIN (default 120 a minute once enabled).
func authOptions(f serveFlags) httpapi.AuthOptions {
	o := httpapi.AuthOptions{Required: f.auth == "required", AdminToken: os.Getenv("ADMIN_TOKEN")}
	if on, _ := strconv.ParseBool(os.Getenv("RATELIMIT_ENABLED")); on {
		o.RateLimitPerMin = envInt("RATELIMIT_PER_MIN", 120)
		if o.RateLimitPerMin < 1 {
			o.RateLimitPerMin = 120
		}
	}
	return o
}

const userUsage = `usage: sigmalab user <add|list|rotate|revoke|suspend|activate> [flags] [user_id]

  add ID --role viewer|researcher|admin [--email E]   create a user; prints its token once
  list                                               users, roles, statuses, last activity
  rotate ID                                          new token (printed once); old ones stop working
  revoke ID                                          revoke every token of the user
  suspend ID / activate ID                           refuse / allow the user on every route

Flags: --data DIR (env SIGMA_DATA_DIR), --json. Run it while the server is stopped
(the database is locked by one process), or use the /admin/users routes.`

// cmdUser manages users and tokens on the data dir. Every change is audited
// (user "cli") in the same transaction.
func cmdUser(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, userUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr("SIGMA_DATA_DIR", "./sigmalab-data"), "data directory (env SIGMA_DATA_DIR)")
	role := fs.String("role", "", "viewer|researcher|admin (add)")
	email := fs.String("email", "", "e-mail address (add)")
	asJSON := fs.Bool("json", false, "print JSON")
	// Flags may come before or after the user id.
	rest := args[1:]
	var pos []string
	for {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	needID := sub != "list"
	if needID && len(pos) != 1 || !needID && len(pos) != 0 {
		fmt.Fprintln(stderr, userUsage)
		return 2
	}
	var id string
	if needID {
		id = pos[0]
		if !admin.ValidID(id) {
			fmt.Fprintf(stderr, "sigmalab user: invalid user id %q: want ^[a-z0-9][a-z0-9_-]{0,63}$\n", id)
			return 2
		}
	}
	st, closeDB, err := app.OpenAdmin(*data)
	if err != nil {
		fmt.Fprintln(stderr, "sigmalab user:", err)
		return 1
	}
	defer func() { _ = closeDB() }()
	now := time.Now().UTC()
	ctx := admin.WithAudit(context.Background(), &admin.PendingAudit{Entry: admin.AuditEntry{At: now, User: "cli",
		Method: "CLI", Route: "user " + sub, Path: "user " + sub, Action: "CLI user " + sub, TargetID: id, Client: "cli"}})
	out, err := runUser(ctx, st, sub, id, *role, *email, now)
	if err != nil {
		fmt.Fprintln(stderr, "sigmalab user "+sub+":", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		return 0
	}
	printUser(stdout, out)
	return 0
}

// userResult is what a user subcommand prints.
type userResult struct {
	Users   []admin.User `json:"users,omitempty"`
	User    *admin.User  `json:"user,omitempty"`
	Token   string       `json:"token_once,omitempty"`
	Revoked *int         `json:"revoked,omitempty"`
}

func runUser(ctx context.Context, st admin.Store, sub, id, role, email string, now time.Time) (userResult, error) {
	switch sub {
	case "add":
		r, ok := admin.ParseRole(role)
		if !ok {
			return userResult{}, fmt.Errorf("--role must be viewer, researcher or admin")
		}
		u := admin.User{ID: id, Role: r, Email: email, Status: admin.Active, CreatedAt: now, UpdatedAt: now}
		clear, hash, tok, err := admin.NewToken(rand.Reader, id, now)
		if err != nil {
			return userResult{}, err
		}
		if err := st.CreateUser(ctx, u, tok, hash); err != nil {
			return userResult{}, err
		}
		return userResult{User: &u, Token: clear}, nil
	case "list":
		us, _, err := st.ListUsers(ctx, admin.UserFilter{})
		if us == nil {
			us = []admin.User{}
		}
		return userResult{Users: us}, err
	case "rotate":
		clear, hash, tok, err := admin.NewToken(rand.Reader, id, now)
		if err != nil {
			return userResult{}, err
		}
		if err := st.RotateToken(ctx, id, tok, hash); err != nil {
			return userResult{}, err
		}
		u, err := st.GetUser(ctx, id)
		return userResult{User: &u, Token: clear}, err
	case "revoke":
		n, err := st.RevokeTokens(ctx, id, now)
		return userResult{Revoked: &n}, err
	case "suspend", "activate":
		status := admin.Suspended
		if sub == "activate" {
			status = admin.Active
		}
		u, err := st.UpdateUser(ctx, id, func(u *admin.User) error {
			u.Status, u.UpdatedAt = status, now
			return nil
		})
		return userResult{User: &u}, err
	}
	return userResult{}, fmt.Errorf("unknown subcommand %q (add, list, rotate, revoke, suspend, activate)", sub)
}

func printUser(w io.Writer, r userResult) {
	if r.Users != nil {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tSTATUS\tLAST ACTIVE\tEMAIL")
		for _, u := range r.Users {
			last := "-"
			if u.LastActive != nil {
				last = u.LastActive.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.Role, u.Status, last, u.Email)
		}
		_ = tw.Flush()
		return
	}
	if r.Revoked != nil {
		fmt.Fprintf(w, "revoked %d token(s)\n", *r.Revoked)
		return
	}
	if r.User != nil {
		fmt.Fprintf(w, "user %s (%s, %s)\n", r.User.ID, r.User.Role, r.User.Status)
	}
	if r.Token != "" {
		fmt.Fprintf(w, "token: %s\n(shown only once; it is stored as a hash)\n", r.Token)
	}
}
