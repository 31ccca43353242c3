"""Security: passwords, API tokens, who is acting, and the audit trail."""
