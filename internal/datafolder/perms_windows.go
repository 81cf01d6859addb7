package datafolder

import "golang.org/x/sys/windows"

// Protect gives the service's data folder an access list of its own —
// SYSTEM and Administrators, inherited by everything inside — since
// %ProgramData% lets every local user read, and create files in, its
// folders, and file modes mean nothing on Windows. Keys, stores and backups
// live there.
func (d Dir) Protect() error {
	sd, err := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)")
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(string(d), windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
}
