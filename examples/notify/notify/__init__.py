"""notify: the team's e-mail service. It receives mail over SMTP, keeps every message in SQLite
and lists them over HTTP (`GET /messages`)."""
