package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigmalab/app"
)

// backupOut is what `sigmalab backup` prints.
type backupOut struct {
	OK           bool     `json:"ok"`
	File         string   `json:"file"`
	Via          string   `json:"via"` // "data_dir" (opened read-only) or "server" (POST /admin/backup)
	Files        int      `json:"files"`
	Bytes        int64    `json:"bytes"`         // uncompressed
	ArchiveBytes int64    `json:"archive_bytes"` // the tar.zst
	Missing      []string `json:"missing,omitempty"`
	ElapsedMS    int64    `json:"elapsed_ms"`
}

// cmdBackup writes a consistent backup of a data dir to FILE (tar.zst). With
// no server running it opens the database read-only; when a server holds it
// (bbolt's lock is exclusive for the writer) it asks that server for the same
// archive at --addr (POST /admin/backup, with --token as the admin token).
// Either way the file is written under a temp name, verified against its
// manifest, then renamed: FILE is never a partial archive.
func cmdBackup(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr("SIGMA_DATA_DIR", "./sigmalab-data"), "data directory (env SIGMA_DATA_DIR)")
	addr := fs.String("addr", envOr("SIGMA_ADDR", "127.0.0.1:8001"), "address of the running server to ask when the data dir is in use (env SIGMA_ADDR)")
	token := fs.String("token", os.Getenv("ADMIN_TOKEN"), "admin token for the server (env ADMIN_TOKEN)")
	wait := fs.Duration("lock-timeout", time.Second, "how long to wait for the database before asking the server")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sigmalab backup FILE [--data DIR] [--addr HOST:PORT] [--token T]")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(stderr, err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	dst := pos[0]
	start := time.Now()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		fmt.Fprintln(stderr, "backup:", err)
		return 1
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	out := backupOut{File: dst, Via: "data_dir"}
	res, err := app.BackupDir(*data, tmp, version, *wait)
	if app.IsLocked(err) {
		out.Via = "server"
		if _, err = tmp.Seek(0, io.SeekStart); err == nil {
			if err = tmp.Truncate(0); err == nil {
				err = fetchBackup(*addr, *token, tmp)
			}
		}
	} else if err == nil {
		out.Missing = res.Missing
	}
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err == nil {
		m, verr := app.VerifyArchive(tmp)
		out.Files, out.Bytes, err = len(m.Files), m.TotalBytes, verr
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		fmt.Fprintln(stderr, "backup:", err)
		return 1
	}
	if st, err := os.Stat(dst); err == nil {
		out.ArchiveBytes = st.Size()
	}
	out.OK, out.ElapsedMS = true, time.Since(start).Milliseconds()
	return printJSON(stdout, out)
}

// fetchBackup streams POST http://addr/admin/backup into w.
func fetchBackup(addr, token string, w io.Writer) error {
	base := addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(base, "/")+"/admin/backup", nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the data dir is in use and its server does not answer at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("server at %s answered %d: %s", addr, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// restoreOut is what `sigmalab restore` prints.
type restoreOut struct {
	OK            bool   `json:"ok"`
	DataDir       string `json:"data_dir"`
	Files         int    `json:"files"`
	Bytes         int64  `json:"bytes"`
	SchemaVersion uint64 `json:"schema_version"`
	CreatedAt     string `json:"backup_created_at"`
	ElapsedMS     int64  `json:"elapsed_ms"`
}

// cmdRestore unpacks a backup into an empty (or new) data dir, verifying
// every file against the manifest, and builds the indexes from the restored
// files; `sigmalab serve --data DIR` then serves it.
func cmdRestore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr("SIGMA_DATA_DIR", "./sigmalab-data"), "empty data directory to restore into (env SIGMA_DATA_DIR)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sigmalab restore FILE --data DIR   (DIR must be empty or absent)")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(stderr, err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	start := time.Now()
	f, err := os.Open(pos[0])
	if err != nil {
		fmt.Fprintln(stderr, "restore:", err)
		return 1
	}
	defer f.Close()
	m, err := app.Restore(f, *data)
	if err != nil {
		fmt.Fprintln(stderr, "restore:", err)
		return 1
	}
	return printJSON(stdout, restoreOut{OK: true, DataDir: *data, Files: len(m.Files), Bytes: m.TotalBytes,
		SchemaVersion: m.SchemaVersion, CreatedAt: m.CreatedAt.Format(time.RFC3339), ElapsedMS: time.Since(start).Milliseconds()})
}

// printJSON writes v as indented JSON; exit status 0.
func printJSON(w io.Writer, v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return 1
	}
	fmt.Fprintln(w, string(b))
	return 0
}
