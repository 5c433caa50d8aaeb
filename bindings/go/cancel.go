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
	C.berth_cancel_attach(token)
	c := &ctxCancel{ctx: ctx, token: token, done: make(chan struct{}), exited: make(chan struct{})}
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

// release stops the goroutine, detaches the token and frees it. It leaves
// berth_last_error() alone, so the call's error may be read before or after.
func (c *ctxCancel) release() {
	if c == nil {
		return
	}
	close(c.done)
	<-c.exited
	C.berth_cancel_attach(nil)
	C.berth_cancel_free(c.token)
}

// wrap gives an ECancelled error the context's error as its cause, so that
// errors.Is(err, context.DeadlineExceeded) (or context.Canceled) holds.
func (c *ctxCancel) wrap(err error) error {
	if c == nil || err == nil {
		return err
	}
	var be *Error
	if errors.As(err, &be) && be.Code == ECancelled && be.cause == nil {
		be.cause = c.ctx.Err()
	}
	return err
}
