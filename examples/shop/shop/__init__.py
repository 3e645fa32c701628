"""The shop: a small web app selling coffee gear, its products kept in PostgreSQL."""
