"""The data's lifecycle (PIPL): how long each kind of data is kept and the nightly purge,
legal holds, erasure of one customer, and the export of everything held about them."""
