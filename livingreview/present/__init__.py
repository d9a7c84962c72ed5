"""Presentation: number formatting and tables (``tables``), how a figure reads in prose
(``evidence``), one module per chart under ``charts/`` styled by the registered Altair theme
(``theme``), and the offline chart renderer (``render``)."""
