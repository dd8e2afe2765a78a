"""The unit portal: each unit's own page (what it owes, forms to hand it in, receipts) and
the Ban Thi đua's review pages, served by `thidua serve` on 127.0.0.1:4300.

Pages call the library's use cases (`thidua.ledger`, `thidua.board`, `thidua.documents`)
exactly as the command line does, so a form is refused with the same Vietnamese message
and nothing is written. This package imports no Prefect and no outer layer: whatever must
be sent (a receipt's acknowledgement) goes through a `Sink` the caller hands to
`create_app`.
"""
