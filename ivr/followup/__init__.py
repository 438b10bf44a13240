"""Follow-up visits (回访) by phone: when to call (``rules``), placing the calls
(``dialler``) and the questions the citizen answers (``route``, FastAGI)."""
