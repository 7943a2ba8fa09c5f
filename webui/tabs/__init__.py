"""One module of handlers per tab; :class:`webui.handlers.Handlers` joins them."""
