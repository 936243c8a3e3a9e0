package httpapi

import (
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"sigmalab/engine/admin"
)

type userList struct {
	Users []admin.User `json:"users"`
	Count int          `json:"count"`
	PageInfo
}

func (s *Server) listUsers(r *http.Request, _ httprouter.Params) (any, error) {
	st, err := s.adminStore()
	if err != nil {
		return nil, err
	}
	q := NewQuery(r)
	page := q.Page(100)
	role := q.Enum("role", "", string(admin.Viewer), string(admin.Researcher), string(admin.AdminRole))
	status := q.Enum("status", "", string(admin.Active), string(admin.Suspended))
	if err := q.Err(); err != nil {
		return nil, err
	}
	rows, total, err := st.ListUsers(r.Context(), admin.UserFilter{Role: admin.Role(role), Status: admin.Status(status),
		Limit: page.Limit, Offset: page.Offset})
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []admin.User{}
	}
	return userList{Users: rows, Count: len(rows), PageInfo: page.Info(len(rows), total)}, nil
}

// userBody is the body of POST /admin/users and PATCH /admin/users/{id}.
type userBody struct {
	ID     string  `json:"id"`
	Role   *string `json:"role"`
	Status *string `json:"status"`
	Email  *string `json:"email"`
}

// apply validates b onto u (create: id and role required).
func (b userBody) apply(u *admin.User, create bool) error {
	c := NewCheck("body")
	if create {
		u.ID = c.ID("id", b.ID, true)
		if b.Role == nil {
			c.Fail("role", "required: viewer, researcher or admin", "missing")
		}
	}
	if b.Role != nil {
		if r, ok := admin.ParseRole(*b.Role); ok {
			u.Role = r
		} else {
			c.Fail("role", "must be viewer, researcher or admin", "enum")
		}
	}
	if b.Status != nil {
		if st, ok := admin.ParseStatus(*b.Status); ok {
			u.Status = st
		} else {
			c.Fail("status", "must be active or suspended", "enum")
		}
	}
	if b.Email != nil {
		e := strings.TrimSpace(*b.Email)
		if len(e) > 254 || (e != "" && (!strings.Contains(e, "@") || strings.ContainsAny(e, " \t\r\n"))) {
			c.Fail("email", "must be an e-mail address", "value_error")
		} else {
			u.Email = e
		}
	}
	if !create && b.Role == nil && b.Status == nil && b.Email == nil {
		c.Fail("role", "nothing to change: give role, status or email", "value_error")
	}
	return c.Err()
}

// tokenOnce is the one answer that carries a clear token.
type tokenOnce struct {
	User      admin.User  `json:"user"`
	Token     admin.Token `json:"token"`
	TokenOnce string      `json:"token_once"`
	Note      string      `json:"note"`
}

const tokenNote = "the token is shown only this once; store it now (it is kept only as a hash)"

func (s *Server) createUser(r *http.Request, _ httprouter.Params) (any, error) {
	st, err := s.adminStore()
	if err != nil {
		return nil, err
	}
	var body userBody
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	u := admin.User{Status: admin.Active, CreatedAt: now, UpdatedAt: now}
	if err := body.apply(&u, true); err != nil {
		return nil, err
	}
	clear, hash, tok, err := admin.NewToken(s.auth.opts.Rand, u.ID, now)
	if err != nil {
		return nil, err
	}
	if err := st.CreateUser(r.Context(), u, tok, hash); err != nil {
		return nil, err
	}
	return Status{Code: http.StatusCreated, Body: tokenOnce{User: u, Token: tok, TokenOnce: clear, Note: tokenNote}}, nil
}

func (s *Server) getUser(r *http.Request, p httprouter.Params) (any, error) {
	st, id, err := s.adminTarget(p, "user_id")
	if err != nil {
		return nil, err
	}
	u, err := st.GetUser(r.Context(), id)
	if err != nil {
		return nil, err
	}
	toks, err := st.ListTokens(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if toks == nil {
		toks = []admin.Token{}
	}
	return map[string]any{"user": u, "tokens": toks}, nil
}

func (s *Server) patchUser(r *http.Request, p httprouter.Params) (any, error) {
	st, id, err := s.adminTarget(p, "user_id")
	if err != nil {
		return nil, err
	}
	var body userBody
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	// Validate before touching storage, so a bad body on an unknown user is a 422.
	var probe admin.User
	if err := body.apply(&probe, false); err != nil {
		return nil, err
	}
	now := s.opts.Now().UTC()
	u, err := st.UpdateUser(r.Context(), id, func(u *admin.User) error {
		if err := body.apply(u, false); err != nil {
			return err
		}
		u.UpdatedAt = now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"user": u}, nil
}

func (s *Server) rotateUserToken(r *http.Request, p httprouter.Params) (any, error) {
	st, id, err := s.adminTarget(p, "user_id")
	if err != nil {
		return nil, err
	}
	u, err := st.GetUser(r.Context(), id)
	if err != nil {
		return nil, err
	}
	clear, hash, tok, err := admin.NewToken(s.auth.opts.Rand, id, s.opts.Now())
	if err != nil {
		return nil, err
	}
	if err := st.RotateToken(r.Context(), id, tok, hash); err != nil {
		return nil, err
	}
	return tokenOnce{User: u, Token: tok, TokenOnce: clear, Note: tokenNote}, nil
}
