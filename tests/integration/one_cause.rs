//! One cause, one readable diagnostic: failures shared by concurrent calls are reported once,
//! and bulky server detail (RAM's string to sign) stays in the debug log.
