package dfs

import (
	"context"
	"errors"
	iofs "io/fs"
	"path"
	"strings"
)

// The directories a fresh HDFS cluster is set up with, and that Hadoop,
// Spark and Hive assume: /tmp (world-writable, sticky) and /user (where
// home directories live). They go in the default bucket, so Bootstrap
// makes them only when there is one.
var bootstrapDirs = []struct {
	path string
	perm uint32
}{
	{"/tmp", 01777},
	{"/user", 0755},
}

// Bootstrap makes /tmp and /user, owned by the superuser, when a default
// bucket holds the top-level paths and they do not exist yet. Existing
// ones are left as they are (an administrator may have changed them).
func (n *Namespace) Bootstrap(ctx context.Context) error {
	if !n.fs.HasDefaultBucket() {
		return nil
	}
	for _, d := range bootstrapDirs {
		if _, err := n.fs.Stat(ctx, d.path); err == nil || !missing(err) {
			if err != nil {
				return err
			}
			continue
		}
		if err := n.fs.Mkdirs(ctx, d.path, d.perm, n.opts.SuperUser, n.opts.SuperUserGroup, false); err != nil && !errors.Is(err, iofs.ErrExist) {
			return err
		}
		n.log.Info("created", "path", d.path, "perm", ModeString(true, d.perm))
	}
	return nil
}

// homeFor makes /user/USER for the caller when p is inside it, it does not
// exist, /user does, and Options.HomeAutoCreate is on: owned by the
// caller, with their primary group, 0755 (what an administrator's
// `hdfs dfs -mkdir /user/USER; -chown USER` gives), so Spark's
// .sparkStaging, trash and getHomeDirectory work for every user.
func (n *Namespace) homeFor(ctx context.Context, c *Caller, p string) error {
	if !n.opts.HomeAutoCreate || !n.fs.HasDefaultBucket() {
		return nil
	}
	home := path.Join("/user", c.user)
	if c.user == "" || strings.ContainsAny(c.user, "/:") || c.user == "." || c.user == ".." ||
		(p != home && !strings.HasPrefix(p, home+"/")) {
		return nil
	}
	if _, err := c.stat(ctx, home); err == nil || !missing(err) {
		return nil
	}
	if fi, err := c.stat(ctx, "/user"); err != nil || !fi.IsDir {
		return nil
	}
	defer c.forget()
	err := n.fs.Mkdirs(ctx, home, 0755, c.user, c.primaryGroup(), false)
	if err != nil && !errors.Is(err, iofs.ErrExist) {
		return err
	}
	n.log.Info("home directory created", "path", home, "user", c.user)
	return nil
}
