package store

import (
	"context"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// The attachments' records: made once their bytes are stored (PutFile),
// changed (customer_visible, filename) and deleted. A record counts its
// blobs in bucketAttachmentBlobs in the same transaction, so a blob is
// collected only once no record names it.

// AttachmentInput is a new attachment's metadata; its bytes are a StoredFile.
type AttachmentInput struct {
	OwnerType       string
	OwnerID         uint64
	Filename        string
	CustomerVisible bool
}

// AttachmentPatch changes what an attachment shows, never its bytes.
type AttachmentPatch struct {
	CustomerVisible *bool   `json:"customer_visible"`
	Filename        *string `json:"filename"`
}

// AddAttachment records a file stored by PutFile on its owner, and for a
// ticket records ticket.attachment_added with the ticket and the attachment.
// An owner that does not exist is a not-found naming it; the blob is then
// left for collection.
func (s *Store) AddAttachment(ctx context.Context, in AttachmentInput, f StoredFile) (Attachment, error) {
	owner, ok := findOwner(in.OwnerType)
	if !ok {
		return Attachment{}, Invalid("owner_type", "files attach to tickets, customers, devices and proposals")
	}
	name := CleanFilename(in.Filename)
	if name == "" {
		name = "file"
	}
	a := Attachment{OwnerType: in.OwnerType, OwnerID: in.OwnerID, Filename: name, Size: f.Size, ContentType: f.ContentType,
		SHA256: f.SHA256, CustomerVisible: in.CustomerVisible, Thumbnail: f.Thumbnail != "", ThumbnailSHA256: f.Thumbnail,
		Width: f.Width, Height: f.Height, UploadedBy: ActorFrom(ctx).Name}
	var out Attachment
	err := s.update(ctx, func(tx *bolt.Tx) error {
		rec := a
		ownerRaw := tx.Bucket(owner.table.records).Get(itob(in.OwnerID))
		if ownerRaw == nil {
			return notFound(owner.Type)
		}
		id, err := tx.Bucket(attachments.records).NextSequence()
		if err != nil {
			return err
		}
		now := s.clock()
		rec.ID, rec.CreatedAt, rec.UpdatedAt = id, now, now
		if err := attachments.put(tx, id, nil, &rec); err != nil {
			return err
		}
		if err := countBlobs(tx, &rec, 1); err != nil {
			return err
		}
		out = rec
		if owner.Type != "ticket" {
			_, err = s.appendEvent(tx, owner.Type+".attachment_added", ordered{}.with(owner.Type+"_id", in.OwnerID).
				with("attachment_id", id).with("attachment", rec))
			return err
		}
		t, err := getRecord[Ticket](tx, tickets.records, in.OwnerID, "ticket")
		if err != nil {
			return err
		}
		if err := s.touchTicket(tx, t); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, "ticket.attachment_added", ordered{}.with("ticket_id", in.OwnerID).
			with("attachment_id", id).with("ticket", t).with("attachment", rec))
		return err
	})
	return out, err
}

// countBlobs adds delta to the counts of the attachment's file and preview.
func countBlobs(tx *bolt.Tx, a *Attachment, delta int64) error {
	b := tx.Bucket(bucketAttachmentBlobs)
	for _, sum := range []string{a.SHA256, a.ThumbnailSHA256} {
		if sum == "" {
			continue
		}
		var n int64
		if v := b.Get([]byte(sum)); v != nil {
			n = int64(btoi(v))
		}
		n += delta
		var err error
		if n <= 0 {
			err = b.Delete([]byte(sum))
		} else {
			err = b.Put([]byte(sum), itob(uint64(n)))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Attachment reads one attachment.
func (s *Store) Attachment(id uint64) (Attachment, error) {
	var out Attachment
	err := s.view(func(tx *bolt.Tx) error {
		a, err := getRecord[Attachment](tx, attachments.records, id, "attachment")
		if err == nil {
			out = *a
		}
		return err
	})
	return out, err
}

// ListAttachments pages an owner's attachments, newest first unless q says
// otherwise. An owner that does not exist is a not-found naming it.
func (s *Store) ListAttachments(ownerType string, ownerID uint64, q ListQuery) (Page, error) {
	owner, ok := findOwner(ownerType)
	if !ok {
		return Page{}, Invalid("owner_type", "files attach to tickets, customers, devices and proposals")
	}
	q.Filters = map[string]string{"owner": ownerType + ":" + strconv.FormatUint(ownerID, 10)}
	var page Page
	err := s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(owner.table.records).Get(itob(ownerID)) == nil {
			return notFound(owner.Type)
		}
		var err error
		page, err = attachments.list(tx, q)
		return err
	})
	return page, err
}

// UpdateAttachment changes an attachment's customer_visible flag or filename.
func (s *Store) UpdateAttachment(ctx context.Context, id uint64, p AttachmentPatch) (Attachment, error) {
	var name string
	if p.Filename != nil {
		if name = CleanFilename(*p.Filename); name == "" {
			return Attachment{}, Invalid("filename", "is required: a name with something besides dots, slashes and spaces")
		}
	}
	var out Attachment
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRecord[Attachment](tx, attachments.records, id, "attachment")
		if err != nil {
			return err
		}
		rec := *old
		if p.Filename != nil {
			rec.Filename = name
		}
		if p.CustomerVisible != nil {
			rec.CustomerVisible = *p.CustomerVisible
		}
		rec.UpdatedAt = s.clock()
		if err := attachments.put(tx, id, old, &rec); err != nil {
			return err
		}
		out = rec
		// The id alone, as attachment.deleted: files.read guards it, and the
		// owner's scope is checked when the record is read again.
		_, err = s.appendEvent(tx, "attachment.updated", ordered{}.with("attachment_id", id))
		return err
	})
	return out, err
}

// DeleteAttachment removes an attachment's record; its blobs, once no other
// record counts them, go at the next collection.
func (s *Store) DeleteAttachment(ctx context.Context, id uint64) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRecord[Attachment](tx, attachments.records, id, "attachment")
		if err != nil {
			return err
		}
		return s.deleteAttachment(tx, old)
	})
}

// deleteAttachment removes the record, uncounts its blobs and records
// attachment.deleted with the id alone: the owner stays out of the event,
// which files.read guards.
func (s *Store) deleteAttachment(tx *bolt.Tx, a *Attachment) error {
	if err := tx.Bucket(attachments.records).Delete(itob(a.ID)); err != nil {
		return err
	}
	if err := attachments.reindex(tx, a.ID, attachments.index(a), nil); err != nil {
		return err
	}
	if err := countBlobs(tx, a, -1); err != nil {
		return err
	}
	_, err := s.appendEvent(tx, "attachment.deleted", ordered{}.with("attachment_id", a.ID))
	return err
}

// deleteOwnerAttachments removes every attachment of a record being
// deleted, in its transaction (a deleted customer keeps no files).
func (s *Store) deleteOwnerAttachments(tx *bolt.Tx, ownerType string, ownerID uint64) error {
	var ids []uint64
	err := attachments.eachID(tx, "owner", ownerKey(ownerType, ownerID), func(id uint64) error {
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		a, err := getRecord[Attachment](tx, attachments.records, id, "attachment")
		if err != nil {
			return err
		}
		if err := s.deleteAttachment(tx, a); err != nil {
			return err
		}
	}
	return nil
}

// OwnerExists says whether a record that takes attachments exists: nil, or
// a not-found naming its kind.
func (s *Store) OwnerExists(ownerType string, id uint64) error {
	owner, ok := findOwner(ownerType)
	if !ok {
		return Invalid("owner_type", "files attach to tickets, customers, devices and proposals")
	}
	return s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(owner.table.records).Get(itob(id)) == nil {
			return notFound(owner.Type)
		}
		return nil
	})
}
