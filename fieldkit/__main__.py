from fieldkit.cli import main

main()
