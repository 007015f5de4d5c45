"""Evidence files below the ledger: the content-addressed, write-once store (``store``), where
its blobs live (``storage``: a folder or an S3-compatible object store, through Django's storage
API), what a file is (``filetypes``) and the scanner every upload passes (``scanning``). The
ledger's ``Evidence`` rows name blobs of this store; the ledger registers that model at start-up
(``store.register_rows``), so nothing here imports the ledger."""
