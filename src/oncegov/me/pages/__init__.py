"""The citizen's pages, one module per group: ``identity`` (``/me``, ``/me/report``), ``access``
(``/me/access``) and ``account`` (``/me/account…``, ``/me/logins``, ``/me/qr…``)."""
