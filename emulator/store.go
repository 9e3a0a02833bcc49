package emulator

import (
	"slices"
	"time"
)

// store is the emulator's state. The Server's mutex guards it.
type store struct {
	users    map[string]*userRecord
	tokens   map[string]*tokenRecord
	sessions map[string]*sessionRecord
	nextSeq  int64
}

func newStore() *store {
	return &store{
		users:    map[string]*userRecord{},
		tokens:   map[string]*tokenRecord{},
		sessions: map[string]*sessionRecord{},
	}
}

// usersInOrder returns every user in creation order.
func (st *store) usersInOrder() []*userRecord {
	users := make([]*userRecord, 0, len(st.users))
	for _, u := range st.users {
		users = append(users, u)
	}
	slices.SortFunc(users, func(a, b *userRecord) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	return users
}

// userWithEmail returns the user whose e-mail is email, or nil.
func (st *store) userWithEmail(email string) *userRecord {
	for _, u := range st.users {
		if email != "" && u.Email == email {
			return u
		}
	}
	return nil
}

// userWithPhone returns the user whose phone is phone, or nil.
func (st *store) userWithPhone(phone string) *userRecord {
	for _, u := range st.users {
		if phone != "" && u.Phone == phone {
			return u
		}
	}
	return nil
}

// targetExists reports whether any user has a messaging target with this
// identifier, the user being updated included.
func (st *store) targetExists(identifier string) bool {
	for _, u := range st.users {
		for _, t := range u.Targets {
			if t.Identifier == identifier {
				return true
			}
		}
	}
	return false
}

// deleteSessionsOf removes every session of a user.
func (st *store) deleteSessionsOf(userID string) {
	for id, sess := range st.sessions {
		if sess.UserID == userID {
			delete(st.sessions, id)
		}
	}
}

// deleteUser removes a user with its tokens and sessions.
func (st *store) deleteUser(userID string) {
	delete(st.users, userID)
	st.deleteSessionsOf(userID)
	for id, tok := range st.tokens {
		if tok.UserID == userID {
			delete(st.tokens, id)
		}
	}
}

// dropExpired deletes tokens and sessions past their expiry, the work
// Appwrite leaves to a background job.
func (st *store) dropExpired(now time.Time) {
	for id, tok := range st.tokens {
		if now.After(tok.Expire) {
			delete(st.tokens, id)
		}
	}
	for id, sess := range st.sessions {
		if now.After(sess.Expire) {
			delete(st.sessions, id)
		}
	}
}
