"""The fetch problem's own variants: asyncio only; the task farm's run every other approach."""
