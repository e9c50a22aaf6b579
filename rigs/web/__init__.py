"""The pages: views, what they show (view models, tables, formats, paging) and the live push."""
