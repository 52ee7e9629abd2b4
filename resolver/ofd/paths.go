package ofd

import (
	"path"
	"strings"
)

// Paths inside OFD XML come in three forms in real files:
//
//   - absolute from the package root: "/Doc_0/Signs/Sign_0/Signature.xml";
//   - relative to the directory of the XML file that holds them: "Sign_0/Signature.xml" in
//     Doc_0/Signs/Signatures.xml (GB/T 33190 §7.2 semantics);
//   - root-relative without the leading slash: "Doc_0/Document.xml" in a file that is not at the
//     root, which some producers write.
//
// candidates lists the archive names a path may denote, best first: an absolute path denotes one
// name; a relative one is tried against the referring file's directory, then against the root.

// candidates returns the archive names ref may denote when written in the file from. It fails with
// ErrBadPath when ref is empty, holds a NUL byte, or climbs above the root.
func candidates(from, ref string) ([]string, error) {
	r := strings.ReplaceAll(strings.TrimSpace(ref), `\`, "/")
	if r == "" || strings.ContainsRune(r, 0) {
		return nil, fileErr(ErrBadPath, ref, "empty path or NUL byte in it (in %s)", from)
	}
	if strings.HasPrefix(r, "/") {
		p, err := within("", r)
		if err != nil {
			return nil, err
		}
		return []string{p}, nil
	}
	dir := path.Dir(from)
	if dir == "." {
		dir = ""
	}
	rel, err := within(dir, r)
	if err != nil {
		return nil, err
	}
	out := []string{rel}
	if dir != "" {
		if root, err := within("", r); err == nil && root != rel {
			out = append(out, root)
		}
	}
	return out, nil
}

// within joins dir and ref and cleans the result, failing if ".." would climb above the root. The
// result has no leading slash.
func within(dir, ref string) (string, error) {
	var stack []string
	if dir != "" {
		stack = strings.Split(dir, "/")
	}
	for _, seg := range strings.Split(ref, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(stack) == 0 {
				return "", fileErr(ErrBadPath, ref, "climbs above the package root")
			}
			stack = stack[:len(stack)-1]
		default:
			stack = append(stack, seg)
		}
	}
	if len(stack) == 0 {
		return "", fileErr(ErrBadPath, ref, "names the package root, not a file")
	}
	return strings.Join(stack, "/"), nil
}

// locate resolves ref (written in the file from) to an entry of the archive. When no candidate
// exists it returns the best candidate with an ErrMissingFile error.
func (a *archive) locate(from, ref string) (string, error) {
	cs, err := candidates(from, ref)
	if err != nil {
		return "", err
	}
	for _, c := range cs {
		if a.has(c) {
			return c, nil
		}
	}
	return cs[0], fileErr(ErrMissingFile, cs[0], "%q (in %s) is not in the archive", strings.TrimSpace(ref), from)
}
