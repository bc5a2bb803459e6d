package mcpserver

import (
	"slices"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// addTool is mcp.AddTool with the input schema inferred from In and then
// made plain: a Go slice infers as {"type": ["null", "array"]}, a union
// that common clients (the MCP Inspector among them) cannot fill in, so
// every such property becomes {"type": "array"}. An absent array argument
// still means the empty list.
func addTool[In, Out any](s *mcp.Server, t *mcp.Tool, h mcp.ToolHandlerFor[In, Out]) {
	schema, err := jsonschema.For[In](nil)
	if err != nil {
		panic("mcpserver: input schema of " + t.Name + ": " + err.Error())
	}
	plainTypes(schema)
	t.InputSchema = schema
	mcp.AddTool(s, t, h)
}

// plainTypes replaces every nullable type ["null", T] in s by T.
func plainTypes(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if len(s.Types) == 2 && slices.Contains(s.Types, "null") {
		i := slices.Index(s.Types, "null")
		s.Type, s.Types = s.Types[1-i], nil
	}
	plainTypes(s.Items)
	for _, p := range s.Properties {
		plainTypes(p)
	}
}
