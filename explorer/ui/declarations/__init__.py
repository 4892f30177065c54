"""One module per page (named like its file in pages/): the page's `PAGE` declaration
(`explorer.ui.declare.PageSpec`) and the small view functions that are that page's own. `explorer.ui.outline`
lists them in the navigation's order."""
