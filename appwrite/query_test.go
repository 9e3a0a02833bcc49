package appwrite

import "testing"

func TestQueryJSON(t *testing.T) {
	tests := []struct {
		name       string
		givenQuery Query
		expect     string
	}{
		{name: "equal one string", givenQuery: QueryEqual("email", "alice@example.com"), expect: `{"method":"equal","attribute":"email","values":["alice@example.com"]}`},
		{name: "equal several values", givenQuery: QueryEqual("labels", "admin", "vip"), expect: `{"method":"equal","attribute":"labels","values":["admin","vip"]}`},
		{name: "equal bool", givenQuery: QueryEqual("status", true), expect: `{"method":"equal","attribute":"status","values":[true]}`},
		{name: "equal without values", givenQuery: QueryEqual("name"), expect: `{"method":"equal","attribute":"name","values":[]}`},
		{name: "HTML characters kept", givenQuery: QueryEqual("name", "<Tom & Jerry>"), expect: `{"method":"equal","attribute":"name","values":["<Tom & Jerry>"]}`},
		{name: "quotes escaped", givenQuery: QueryEqual("name", `say "hi"`), expect: `{"method":"equal","attribute":"name","values":["say \"hi\""]}`},
		{name: "limit", givenQuery: QueryLimit(1), expect: `{"method":"limit","values":[1]}`},
		{name: "offset", givenQuery: QueryOffset(25), expect: `{"method":"offset","values":[25]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if string(tt.givenQuery) != tt.expect {
				t.Errorf("query = %s, want %s", tt.givenQuery, tt.expect)
			}
		})
	}
}

func TestQueryEqualPanicsOnUnencodableValue(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("QueryEqual with a channel did not panic")
		}
	}()
	_ = QueryEqual("name", make(chan int))
}
