package aws

import (
	"strings"
	"testing"
)

// oidcTemplate is the account set-up of the deploy pipeline.
const oidcTemplate = "github-oidc.yaml"

// TestOIDC: only the repository's workflows can assume the deploy roles
// (dev from main, prod from the protected environment), each can touch its
// own stage's stack only, and no role has a managed policy or a grant on
// "*".
func TestOIDC(t *testing.T) {
	res := resources(lintTemplates(t).transformed[oidcTemplate])
	subjects := map[string]string{
		"DevDeployRole":  "repo:${Repository}:ref:refs/heads/main",
		"ProdDeployRole": "repo:${Repository}:environment:prod",
	}
	stacks := map[string]string{"DevDeployRole": "rampart-media-dev", "ProdDeployRole": "rampart-media-prod"}
	roles := 0
	for id, r := range res {
		if get(r, "Type") != "AWS::IAM::Role" {
			continue
		}
		roles++
		p := get(r, "Properties")
		if get(p, "ManagedPolicyArns") != nil {
			t.Errorf("%s has managed policies", id)
		}
		trust := list(get(p, "AssumeRolePolicyDocument", "Statement"))
		if len(trust) != 1 {
			t.Fatalf("%s: %d trust statements", id, len(trust))
		}
		if want, ok := subjects[id]; ok {
			c := get(trust[0], "Condition")
			if get(trust[0], "Action") != "sts:AssumeRoleWithWebIdentity" || get(c, "StringLike") != nil ||
				get(c, "StringEquals", "token.actions.githubusercontent.com:aud") != "sts.amazonaws.com" ||
				get(c, "StringEquals", "token.actions.githubusercontent.com:sub", "Fn::Sub") != want {
				t.Errorf("%s: trust %v, want exactly the subject %s and audience sts.amazonaws.com", id, trust[0], want)
			}
		} else if get(trust[0], "Principal", "Service") != "cloudformation.amazonaws.com" {
			t.Errorf("%s: trusted by %v", id, get(trust[0], "Principal"))
		}
		for _, pol := range list(get(p, "Policies")) {
			for _, s := range list(get(pol, "PolicyDocument", "Statement")) {
				for _, a := range actions(get(s, "Action")) {
					if strings.Contains(a, "*") {
						t.Errorf("%s: wildcard action %s", id, a)
					}
				}
				for _, r := range resourceList(get(s, "Resource")) {
					rs := flat(r)
					if s, ok := get(r, "Fn::Sub").(string); ok {
						rs = s
					}
					if rs == "*" || strings.HasSuffix(rs, ":*") && !strings.Contains(rs, "event-source-mapping") {
						t.Errorf("%s: %v on %s", id, get(s, "Action"), rs)
					}
					if stack, ok := stacks[id]; ok && strings.Contains(rs, ":stack/rampart-") && !strings.Contains(rs, ":stack/"+stack+"/") {
						t.Errorf("%s: reaches the stack %s", id, rs)
					}
				}
			}
		}
	}
	if roles != 3 {
		t.Errorf("%d roles, want the two deploy roles and the CloudFormation execution role", roles)
	}
}
