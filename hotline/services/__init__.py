"""Services the console's transports share: the browser pages (desk, wallboard) and the
machine API (``hotline.web.acd_api``, ``hotline.web.case_api``) call the same functions
here, so a seat action, a transfer or a new case behaves alike whichever door it came by.
No HTTP in here: errors are the domain's own (SeatControlError, TransferError,
CaseStoreError), which each transport turns into its answer."""
