package gateway_test

import (
	"reflect"
	"testing"

	"github.com/rampartdev/rampart/gateway"
)

// TestNew_doesNotModifyConfig gives New routes without names (which it
// names after their prefix) and checks the caller's Routes are as they
// were: the caller may reuse them for a second gateway. (The Config itself
// is passed by value; only what it points to could change.)
func TestNew_doesNotModifyConfig(t *testing.T) {
	routes := []gateway.Route{{Prefix: "/api/"}, {Prefix: "/public/", Public: true}}
	cfg := gateway.Config{Routes: routes, Tokens: gateway.NewTokenCache(nil, nil)}
	before := append([]gateway.Route(nil), routes...)
	if _, err := gateway.New(cfg); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(routes, before) {
		t.Errorf("New changed the caller's routes: %+v, was %+v", routes, before)
	}
}
