package berth

/*
#include <berth.h>
*/
import "C"

import (
	"context"
	"errors"
)

// ctxCancel ties a context to the libberth call made on the current, locked OS
// thread: a berth_cancel token attached to the thread is fired by a goroutine
// when ctx ends, and the call (a stalled transfer, a retry's wait, a RUN step)
// stops within about a second with ECancelled. A nil *ctxCancel (a context that
// never ends) does nothing.
type ctxCancel struct {
	ctx    context.Context
	token  *C.berth_cancel
	outer  *C.berth_cancel // the thread's token before, put back by release
	done   chan struct{}
	exited chan struct{}
}

// cancelOnDone attaches the token. The caller holds runtime.LockOSThread and
// defers release (after the UnlockOSThread defer, so that it runs first).
func cancelOnDone(ctx context.Context) *ctxCancel {
	if ctx == nil || ctx.Done() == nil {
		return nil // a nil ctx is refused by the call's own checks
	}
	var token *C.berth_cancel
	if C.berth_cancel_new(&token) != C.BERTH_OK {
		return nil // out of memory: the call runs uncancellable, as before
	}
	// A call from inside another (a Progress func calling berth) keeps the outer
	// call's token for its thread once it returns.
	var outer *C.berth_cancel
	C.berth_cancel_current(&outer)
	C.berth_cancel_attach(token)
	c := &ctxCancel{ctx: ctx, token: token, outer: outer, done: make(chan struct{}),
		exited: make(chan struct{})}
	go func() {
		defer close(c.exited)
		select {
		case <-ctx.Done():
			C.berth_cancel_fire(token)
		case <-c.done:
		}
	}()
	return c
}

// release stops the goroutine, puts the thread's outer token back (none,
// usually) and frees this one. It leaves berth_last_error() alone, so the
// call's error may be read before or after.
func (c *ctxCancel) release() {
	if c == nil {
		return
	}
	close(c.done)
	<-c.exited
	C.berth_cancel_attach(c.outer)
	C.berth_cancel_free(c.outer)
	C.berth_cancel_free(c.token)
}

// wrap gives the error of a call whose context ended the context's error as
// its cause, so that errors.Is(err, context.DeadlineExceeded) (or
// context.Canceled) holds: ECancelled, and whatever else the cancel surfaced
// as (a credential helper killed mid-prompt is an EAuth of berth's).
func (c *ctxCancel) wrap(err error) error {
	if c == nil || err == nil {
		return err
	}
	var be *Error
	if errors.As(err, &be) && be.cause == nil {
		be.cause = c.ctx.Err() // nil while ctx is live
	}
	return err
}
