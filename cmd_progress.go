package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progressBar draws "[#####.....]  50% cell 500/1000  12.3s" on a terminal,
// at most ten times a second, and redraws it every second so the elapsed time
// moves while a step (a build, a backtest's folds) reports nothing.
type progressBar struct {
	w      io.Writer
	on     bool
	mu     sync.Mutex
	last   time.Time
	frac   float64
	msg    string
	drawn  bool
	width  int
	starts time.Time
	stop   chan struct{} // closed by done: ends the redraws
}

func newProgressBar(w io.Writer, mode string) *progressBar {
	on := mode == "always"
	if mode == "auto" {
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				on = true
			}
		}
	}
	b := &progressBar{w: w, on: on, width: 30, starts: time.Now(), stop: make(chan struct{})}
	if on {
		go b.tick(time.Second)
	}
	return b
}

// tick redraws a drawn bar every period until done.
func (b *progressBar) tick(period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.mu.Lock()
			if b.drawn {
				b.draw()
			}
			b.mu.Unlock()
		}
	}
}

func (b *progressBar) update(frac float64, msg string) {
	if !b.on {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.frac, b.msg = frac, msg
	if time.Since(b.last) < 100*time.Millisecond && frac < 1 {
		return
	}
	b.last = time.Now()
	b.draw()
}

func (b *progressBar) draw() {
	n := int(b.frac * float64(b.width))
	n = min(max(n, 0), b.width)
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%% %s  %.1fs ", strings.Repeat("#", n), strings.Repeat(".", b.width-n),
		100*b.frac, b.msg, time.Since(b.starts).Seconds())
	b.drawn = true
}

func (b *progressBar) done() {
	if !b.on {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.stop: // done twice
		return
	default:
		close(b.stop)
	}
	if b.drawn {
		b.draw()
		fmt.Fprintln(b.w)
	}
}
