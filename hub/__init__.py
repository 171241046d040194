"""The region's hub: every site's history in PostgreSQL, and the region's pages."""
