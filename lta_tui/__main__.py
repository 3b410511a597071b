from lta_tui.cli import main

main()
