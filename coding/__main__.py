from coding.cli import main

main()
