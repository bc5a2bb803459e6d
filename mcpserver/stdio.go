package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MaxLineBytes is the longest line [StdioTransport] reads; a longer one is
// answered with a parse error and skipped.
const MaxLineBytes = 4 << 20

// StdioTransport is the MCP stdio transport (newline-delimited JSON-RPC)
// made robust for a server:
//
//   - a line that is not JSON gets a JSON-RPC parse error (-32700, id null)
//     and one that is JSON but not a JSON-RPC message an invalid-request
//     error (-32600), and the server reads on: one bad line from a client
//     never ends the session;
//   - at the end of the input it answers every request already read before
//     the connection closes, so a client that writes its requests and
//     closes stdin still gets every reply;
//   - a request whose id is that of a request still in progress gets an
//     invalid-request error (-32600) with that id.
//
// JSON-RPC batches (removed from MCP in 2025-06-18) are refused with
// -32600. Use it with [mcp.Server.Run].
type StdioTransport struct {
	Reader io.Reader
	Writer io.Writer
}

// Connect implements [mcp.Transport].
func (t *StdioTransport) Connect(context.Context) (mcp.Connection, error) {
	c := &stdioConn{w: t.Writer, lines: make(chan []byte), closed: make(chan struct{}), pending: map[jsonrpc.ID]bool{}}
	c.idle = sync.NewCond(&c.mu)
	go c.readLines(t.Reader)
	return c, nil
}

type stdioConn struct {
	w      io.Writer
	wmu    sync.Mutex
	lines  chan []byte // nil line: end of input (readErr says why)
	closed chan struct{}
	once   sync.Once

	mu      sync.Mutex
	idle    *sync.Cond
	pending map[jsonrpc.ID]bool // requests read and not yet answered
	readErr error
}

func (c *stdioConn) readLines(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, tooLong, err := readLine(br)
		if tooLong {
			line = []byte("\x00too long") // answered as a parse error
		}
		if len(bytes.TrimSpace(line)) > 0 {
			select {
			case c.lines <- line:
			case <-c.closed:
				return
			}
		}
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			c.mu.Unlock()
			select {
			case c.lines <- nil:
			case <-c.closed:
			}
			return
		}
	}
}

// readLine reads one line (without its newline) of at most MaxLineBytes;
// a longer one is consumed and reported as tooLong.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > MaxLineBytes {
			tooLong = true
		} else {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(line, "\r\n"), tooLong, err
	}
}

// Read implements [mcp.Connection].
func (c *stdioConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	for {
		var line []byte
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.closed:
			return nil, io.EOF
		case line = <-c.lines:
		}
		if line == nil {
			// End of input: wait for the answers to what was read.
			stop := context.AfterFunc(ctx, func() { c.mu.Lock(); c.idle.Broadcast(); c.mu.Unlock() })
			defer stop()
			c.mu.Lock()
			for len(c.pending) > 0 && ctx.Err() == nil && !c.isClosed() {
				c.idle.Wait()
			}
			err := c.readErr
			c.mu.Unlock()
			if errors.Is(err, io.EOF) {
				err = io.EOF
			}
			return nil, err
		}
		msg, werr := decode(line)
		if werr != nil {
			if err := c.writeRaw(werr); err != nil {
				return nil, err
			}
			continue
		}
		if req, ok := msg.(*jsonrpc.Request); ok && req.ID.IsValid() {
			c.mu.Lock()
			inUse := c.pending[req.ID]
			c.pending[req.ID] = true
			c.mu.Unlock()
			if inUse {
				// The SDK drops a request whose id a request in progress
				// has, unanswered (it cannot name it in an error), which
				// would leave it pending forever: answer it here.
				id, _ := json.Marshal(req.ID.Raw())
				if err := c.writeRaw(errorResponse(id, jsonrpc.CodeInvalidRequest, "invalid request: the id is in use by a request in progress")); err != nil {
					return nil, err
				}
				continue
			}
		}
		return msg, nil
	}
}

// decode returns the message on line, or the JSON-RPC error response to
// send instead.
func decode(line []byte) (jsonrpc.Message, []byte) {
	if !json.Valid(line) {
		return nil, errorResponse(nil, jsonrpc.CodeParseError, "parse error: the line is not JSON")
	}
	var probe struct {
		ID json.RawMessage `json:"id"`
	}
	if t := bytes.TrimLeft(line, " \t"); len(t) > 0 && t[0] == '[' {
		return nil, errorResponse(nil, jsonrpc.CodeInvalidRequest, "invalid request: JSON-RPC batches are not supported")
	}
	msg, err := jsonrpc.DecodeMessage(line)
	if err != nil {
		json.Unmarshal(line, &probe)
		return nil, errorResponse(probe.ID, jsonrpc.CodeInvalidRequest, fmt.Sprintf("invalid request: %v", err))
	}
	return msg, nil
}

func errorResponse(id json.RawMessage, code int64, msg string) []byte {
	if len(id) == 0 || !(id[0] == '"' || id[0] == '-' || '0' <= id[0] && id[0] <= '9') {
		id = json.RawMessage("null")
	}
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": code, "message": msg}})
	return b
}

// Write implements [mcp.Connection].
func (c *stdioConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	b, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return err
	}
	err = c.writeRaw(b)
	if resp, ok := msg.(*jsonrpc.Response); ok {
		c.mu.Lock()
		delete(c.pending, resp.ID)
		c.idle.Broadcast()
		c.mu.Unlock()
	}
	return err
}

func (c *stdioConn) writeRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.w.Write(append(b, '\n'))
	return err
}

func (c *stdioConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// Close implements [mcp.Connection].
func (c *stdioConn) Close() error {
	c.once.Do(func() {
		close(c.closed)
		c.mu.Lock()
		c.idle.Broadcast()
		c.mu.Unlock()
	})
	return nil
}

// SessionID implements [mcp.Connection].
func (c *stdioConn) SessionID() string { return "" }
