package search

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"sigmalab/engine"
	"sigmalab/storage/files"
)

const killChildEnv = "SIGMALAB_CARDS_KILL_CHILD"

// TestCardsSurviveKill9 runs a writer in a child process (card file, then
// index, in a loop, as the card store does), kills it with SIGKILL while it
// writes, and checks that the next open serves exactly the cards on disk.
func TestCardsSurviveKill9(t *testing.T) {
	if root := os.Getenv(killChildEnv); root != "" {
		killChild(root)
		return
	}
	if testing.Short() || runtime.GOOS == "windows" {
		t.Skip("child process")
	}
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCardsSurviveKill9$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+root)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	written := 0
	for sc.Scan() && written < 40 {
		if strings.HasPrefix(sc.Text(), "card ") {
			written++
		}
	}
	time.Sleep(3 * time.Millisecond) // land somewhere inside a later write
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if written < 40 {
		t.Fatalf("child wrote %d cards before dying on its own", written)
	}

	c := openTest(t, root)
	found, err := c.fileIDs()
	if err != nil {
		t.Fatal(err)
	}
	p := search(t, c, engine.CardQuery{Limit: 500})
	if p.Total != len(found) {
		t.Fatalf("index has %d cards, files %d", p.Total, len(found))
	}
	for _, f := range found {
		if q := search(t, c, engine.CardQuery{Q: "id:" + f.id}); q.Total != 1 {
			t.Fatalf("card %s not searchable", f.id)
		}
	}
	t.Logf("%d cards on disk after the kill (rebuilt: %v)", len(found), c.Rebuilt())
}

// killChild writes cards until it is killed.
func killChild(root string) {
	c, err := OpenCards(CardsOptions{IndexPath: filepath.Join(root, "index", "cards.bleve"), Root: root, CardsRel: cardsRel})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := int64(1); i < 100_000; i++ {
		card := testCard("m_kill", "backtest", i, t0.Add(time.Duration(i)*time.Second))
		b, _ := json.Marshal(card)
		if err := files.WriteFile(filepath.Join(root, "artifacts", "cards", card.ID+".json"), b); err != nil {
			fmt.Println("write:", err)
			os.Exit(2)
		}
		if err := c.Index(context.Background(), IndexedCard{Card: card, Markdown: engine.RenderCardMarkdown(card)}); err != nil {
			fmt.Println("index:", err)
			os.Exit(2)
		}
		fmt.Println("card", card.ID)
	}
	os.Exit(0)
}
