package api

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"portal/store"
)

// Attachments: photos and documents on tickets, customers, devices and
// proposals. Every route needs files.read or files.write AND the owner's
// read scope: a key holding files.* alone learns nothing about a ticket, not
// even that one has files (on /attachments/{id} the owner is known only from
// the record, so a missing owner scope answers as a missing record).

var attachmentList = declaredList("attachments", true, "owner")

// uploadBodyLimit is an upload request's largest body: the 20 MiB file and
// room for the multipart framing and the other parts.
const uploadBodyLimit = store.MaxAttachmentSize + 1<<20

func (s *Server) attachmentRoutes() []route {
	const res = "files"
	var out []route
	for _, o := range store.AttachmentOwners() {
		base := "/" + o.Resource + "/{id}/attachments"
		out = append(out,
			route{method: "GET", path: base, scope: readScope(res), also: alsoRead(o.Resource), handle: s.listAttachments(o.Type),
				summary: "List the " + o.Type + "'s attachments, newest first (needs " + readScope(o.Resource) + " too)", out: []store.Attachment{}, list: attachmentList},
			route{method: "POST", path: base, scope: writeScope(res), also: alsoRead(o.Resource), handle: s.uploadAttachment(o.Type),
				summary: "Attach a file (multipart/form-data: the file in part file, optional customer_visible=true; at most 20 MiB, 413 beyond; the content type is sniffed from the bytes; needs " + readScope(o.Resource) + " too)",
				upload:  "multipart/form-data", out: store.Attachment{}, status: http.StatusCreated, maxBody: uploadBodyLimit},
		)
	}
	return append(out,
		route{method: "GET", path: "/attachments/{id}", scope: readScope(res), handle: s.getAttachment, summary: "Get an attachment (needs its owner's read scope too)", out: store.Attachment{}},
		route{method: "PATCH", path: "/attachments/{id}", scope: writeScope(res), handle: s.updateAttachment, summary: "Change an attachment's customer_visible flag or filename", in: store.AttachmentPatch{}, out: store.Attachment{}},
		route{method: "DELETE", path: "/attachments/{id}", scope: writeScope(res), handle: s.deleteAttachment, summary: "Delete an attachment (its bytes are collected later)", status: http.StatusNoContent},
		route{method: "GET", path: "/attachments/{id}/url", scope: readScope(res), handle: s.attachmentURL, summary: "A signed download URL for the file (and its thumbnail), valid 15 minutes, that needs no key", out: fileURLs{}},
	)
}

func (s *Server) listAttachments(ownerType string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		id, err := idParam(r, "id")
		if err != nil {
			return err
		}
		lp, err := parseList(r, *attachmentList)
		if err != nil {
			return err
		}
		page, err := p.Store.ListAttachments(ownerType, id, lp.ListQuery)
		if err != nil {
			return err
		}
		return okPage(w, page, lp)
	}
}

// uploadAttachment streams the multipart body: the file part goes straight
// to the blob folder (never ParseMultipartForm, which buffers), the record
// follows in one transaction. The parts may come in any order.
func (s *Server) uploadAttachment(ownerType string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		id, err := idParam(r, "id")
		if err != nil {
			return err
		}
		// A missing owner is a 404 before any byte is stored.
		if err := p.Store.OwnerExists(ownerType, id); err != nil {
			return err
		}
		mr, err := r.MultipartReader()
		if err != nil {
			return validation("file", "send multipart/form-data with the file in a part named file")
		}
		in := store.AttachmentInput{OwnerType: ownerType, OwnerID: id}
		var file *store.StoredFile
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return uploadError(err)
			}
			switch part.FormName() {
			case "file":
				if file != nil {
					return validation("file", "send one file per request")
				}
				in.Filename = part.FileName()
				f, err := p.Store.PutFile(r.Context(), part)
				if err != nil {
					return uploadError(err)
				}
				file = &f
			case "customer_visible":
				v, err := io.ReadAll(io.LimitReader(part, 16))
				if err != nil {
					return uploadError(err)
				}
				switch strings.TrimSpace(string(v)) {
				case "true", "on", "1":
					in.CustomerVisible = true
				case "false", "off", "0", "":
				default:
					return validation("customer_visible", "must be true or false")
				}
			}
			part.Close()
		}
		if file == nil {
			return validation("file", "is required: the file in a multipart part named file")
		}
		if err := mayShowCustomer(p, ownerType, in.CustomerVisible); err != nil {
			return err // the stored bytes, counted by no record, are collected
		}
		a, err := p.Store.AddAttachment(r.Context(), in, *file)
		if err != nil {
			return err
		}
		return ok(w, http.StatusCreated, a)
	}
}

// mayShowCustomer: showing a file to the customer publishes part of its
// owner, so it takes the owner's write scope, not only its read scope.
func mayShowCustomer(p *Principal, ownerType string, show bool) error {
	if need := writeScope(store.OwnerResource(ownerType)); show && !p.Can(need) {
		return forbidden(need)
	}
	return nil
}

// uploadError maps a failed read of an upload: too large is a 413 (the file
// beyond 20 MiB, or the body beyond its limit); a full disk is the store's 503.
func uploadError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, store.ErrTooLarge), errors.As(err, &mbe):
		return newError(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "The file is larger than 20 MiB; nothing was kept")
	case errors.Is(err, store.ErrUnavailable):
		return err
	}
	return validation("file", "the upload could not be read: "+err.Error())
}

// attachment reads an attachment the principal may see: it needs the owner's
// read scope too, and without it the attachment does not exist for them.
func (s *Server) attachment(r *http.Request, p *Principal) (store.Attachment, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return store.Attachment{}, err
	}
	a, err := p.Store.Attachment(id)
	if err != nil {
		return a, err
	}
	if !p.Can(readScope(store.OwnerResource(a.OwnerType))) {
		return store.Attachment{}, newError(http.StatusNotFound, "NOT_FOUND", "Attachment not found")
	}
	return a, nil
}

func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request, p *Principal) error {
	a, err := s.attachment(r, p)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, a)
}

func (s *Server) updateAttachment(w http.ResponseWriter, r *http.Request, p *Principal) error {
	a, err := s.attachment(r, p)
	if err != nil {
		return err
	}
	var patch store.AttachmentPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	if err := mayShowCustomer(p, a.OwnerType, patch.CustomerVisible != nil && *patch.CustomerVisible); err != nil {
		return err
	}
	out, err := p.Store.UpdateAttachment(r.Context(), a.ID, patch)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, out)
}

func (s *Server) deleteAttachment(w http.ResponseWriter, r *http.Request, p *Principal) error {
	a, err := s.attachment(r, p)
	if err != nil {
		return err
	}
	if err := p.Store.DeleteAttachment(r.Context(), a.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) attachmentURL(w http.ResponseWriter, r *http.Request, p *Principal) error {
	a, err := s.attachment(r, p)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, s.fileURLs(r, p.Mode, a))
}
