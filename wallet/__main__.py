from wallet.launcher import main

main()
