//go:build !unix

package issuer

import "io/fs"

// ownedBySelf cannot read an owner here; access to the admin socket rests
// on the directory's ACL, which this package does not check.
func ownedBySelf(fs.FileInfo) bool { return true }
