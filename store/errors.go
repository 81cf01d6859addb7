package store

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound means the record does not exist (or is not visible in this store).
var ErrNotFound = errors.New("not found")

// ErrClosed is returned by operations on a store that is shutting down.
var ErrClosed = errors.New("store closed")

// ConflictError means the record's state does not allow the operation.
type ConflictError struct{ Msg string }

func (e *ConflictError) Error() string { return e.Msg }

// Conflict builds a ConflictError with a formatted message.
func Conflict(format string, args ...any) error {
	return &ConflictError{Msg: fmt.Sprintf(format, args...)}
}

// ForbiddenError means the caller is not strong enough for what it asked,
// found inside the transaction that would have done it.
type ForbiddenError struct{ Msg string }

func (e *ForbiddenError) Error() string { return e.Msg }

// NotFoundError names what was not found; errors.Is(err, ErrNotFound) holds.
type NotFoundError struct{ What string }

func (e *NotFoundError) Error() string { return e.What + " not found" }

// Is makes NotFoundError match ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

func notFound(what string) error { return &NotFoundError{What: what} }

// FieldError is one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field of an input.
type ValidationError struct{ Fields []FieldError }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Invalid builds a ValidationError for a single field.
func Invalid(field, message string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: message}}}
}

// Problems collects field errors while validating an input.
type Problems struct{ fields []FieldError }

// Add records that field is invalid.
func (p *Problems) Add(field, message string) {
	p.fields = append(p.fields, FieldError{field, message})
}

// Err returns a *ValidationError, or nil when nothing was added.
func (p *Problems) Err() error {
	if len(p.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: p.fields}
}
